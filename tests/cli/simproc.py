"""A separate `evobatch sim` process for the black-box tests: started with the given options,
it prints `listening URL ca=FILE` on its first line; the caller stops it (kill, then wait)."""
import subprocess


def start_simulator(binary, args, env):
    """Starts `binary sim ARGS`; returns (process, base URL, CA file). Raises RuntimeError when
    it does not say it is listening."""
    sim = subprocess.Popen([binary, "sim", *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                           text=True)
    line = sim.stdout.readline().split()
    if len(line) != 3 or line[0] != "listening":
        sim.kill()
        sim.wait()
        raise RuntimeError(f"the simulator did not start: {line}")
    return sim, line[1], line[2].removeprefix("ca=")
