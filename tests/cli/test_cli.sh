#!/usr/bin/env bash
# Black-box tests of the built binary: exit codes, messages and JSON as users and scripts see them.
# Usage: test_cli.sh path/to/evobatch repo-root
set -uo pipefail
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
root=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
passes=0

check() { # check NAME CONDITION-COMMAND...
  local name=$1
  shift
  if "$@"; then
    passes=$((passes + 1))
  else
    failures=$((failures + 1))
    echo "FAIL: $name" >&2
  fi
}
run() { # run CMD...: sets $rc, $out, $err
  "$@" >"$work/out" 2>"$work/err"
  rc=$?
  out=$(cat "$work/out")
  err=$(cat "$work/err")
}
json_get() { # json_get EXPR: evaluates a python expression on the JSON in $out, as `d`
  python3 -c "import json,sys; d=json.load(sys.stdin); print($1)" <<<"$out"
}

run "$bin" --version
check "version exits 0" test "$rc" -eq 0
check "version prints name and semver" grep -Eq '^evobatch [0-9]+\.[0-9]+\.[0-9]+$' <<<"$out"

run "$bin" --help
check "help exits 0" test "$rc" -eq 0
check "help lists exit codes" grep -q "Exit codes" <<<"$out"
run "$bin" validate --help
check "validate help has examples" grep -q "Examples" <<<"$out"
run "$bin" plan --help
check "plan help has examples" grep -q "evobatch plan jobs/demo.yaml" <<<"$out"

run "$bin"
check "no subcommand is a usage error (2)" test "$rc" -eq 2
run "$bin" validate --no-such-flag "$root/jobs/demo.yaml"
check "unknown flag is a usage error (2)" test "$rc" -eq 2

cd "$root" || exit 1
run "$bin" validate jobs/demo.yaml
check "demo validates (0)" test "$rc" -eq 0
check "demo has 60 jobs" grep -q "jobs/demo.yaml: ok, 60 jobs" <<<"$out"

cat >"$work/bad.yaml" <<'YAML'
version: 1
limits:
  burst: 0
defaults:
  promt: hello
jobs:
  - id: a
    video: https://cdn.example.com/a.avi
YAML
run "$bin" validate "$work/bad.yaml"
check "bad manifest exits 2" test "$rc" -eq 2
check "errors are compiler style with positions" grep -q "^$work/bad.yaml:3:10: error: limits.burst" <<<"$err"
check "did-you-mean" grep -q "did you mean 'prompt'" <<<"$err"
check "no colour when not a terminal" test "$(grep -c $'\e' <<<"$err")" -eq 0
check "summary says nothing was sent" grep -q "nothing was sent" <<<"$err"

run "$bin" validate "$work/bad.yaml" --max-errors 1
check "max-errors caps the listing" grep -q "and 3 more" <<<"$err"

run "$bin" validate --json "$work/bad.yaml" jobs/demo.yaml
check "json validate exits 2 when one is bad" test "$rc" -eq 2
check "json says not ok" test "$(json_get "d['ok']")" = False
check "json counts the errors" test "$(json_get "d['manifests'][0]['errors']")" = 4
check "json gives positions" test "$(json_get "d['manifests'][0]['diagnostics'][0]['line']")" = 3
check "json reports the good one too" test "$(json_get "d['manifests'][1]['jobs']")" = 60
check "json keeps stderr clean" test -z "$err"

# A ledger of its own: after scripts/demo, jobs/demo.yaml's own (build/demo.ledger.jsonl) holds the demo's run.
run "$bin" plan jobs/demo.yaml --ledger "$work/fresh.jsonl"
check "plan exits 0" test "$rc" -eq 0
check "plan counts submits" grep -q "submit     60 jobs" <<<"$out"
check "plan bounds credits" grep -q "at most 900" <<<"$out"
check "plan sends nothing" grep -q "nothing was sent" <<<"$out"

run "$bin" plan --json jobs/demo.yaml --ledger "$work/fresh.jsonl"
check "plan json exits 0" test "$rc" -eq 0
check "plan json jobs" test "$(json_get "d['jobs']")" = 60
check "plan json credits" test "$(json_get "d['credits']['at_most']")" = 900

run "$bin" plan "$work/bad.yaml"
check "plan of a bad manifest exits 2" test "$rc" -eq 2

cat >"$work/small.yaml" <<'YAML'
version: 1
limits: {requests_per_second: 50, burst: 10, max_in_flight: 10, max_credits: 1000}
defaults: {prompt: Make it cinematic}
output: {dir: results}
videos: [https://cdn.example.com/a.mp4, https://cdn.example.com/b.mp4, https://cdn.example.com/c.mp4]
YAML
run "$bin" run --simulate --time-scale 0.002 --ledger "$work/small.ledger.jsonl" "$work/small.yaml"
check "run --simulate completes (0)" test "$rc" -eq 0
check "run prints a summary" grep -q "Completed 3 of 3 jobs" <<<"$err"
check "run writes the ledger" test "$(grep -c '"ev":"completed"' "$work/small.ledger.jsonl")" -eq 3
check "run downloads each result into output.dir" test "$(ls "$work/results")" = "$(printf 'a.mp4\nb.mp4\nc.mp4')"
check "each download is in the ledger with its hash" \
  test "$(grep '"ev":"downloaded"' "$work/small.ledger.jsonl" | grep -c '"sha256":"[0-9a-f]\{64\}"')" -eq 3
check "the summary names the results folder" grep -q "Results: 3 files.*results" <<<"$err"
check "the simulator's state beside the ledger holds one task per job" \
  test "$(grep -c '"ev":"task"' "$work/small.ledger.jsonl.sim.jsonl")" -eq 3
run "$bin" run --simulate --ledger "$work/small.ledger.jsonl" "$work/small.yaml"
check "run --simulate again resumes from the simulator's state (0)" test "$rc" -eq 0
check "the resumed run makes no task" test "$(grep -c '"ev":"task"' "$work/small.ledger.jsonl.sim.jsonl")" -eq 3
mv "$work/small.ledger.jsonl.sim.jsonl" "$work/small.sim.jsonl.away"
run "$bin" run --simulate --ledger "$work/small.ledger.jsonl" "$work/small.yaml"
check "run --simulate refuses a ledger whose simulator state is missing (2)" test "$rc" -eq 2
check "the refusal says why and what to do" grep -q "simulator state.*is missing.*--ledger" <<<"$err"
check "the refusal leaves no new state behind" test ! -e "$work/small.ledger.jsonl.sim.jsonl"
mv "$work/small.sim.jsonl.away" "$work/small.ledger.jsonl.sim.jsonl"
run "$bin" run --simulate --resubmit-uncertain=no-such-job --ledger "$work/fresh.ledger.jsonl" "$work/small.yaml"
check "--resubmit-uncertain with an unknown job id is refused (2)" test "$rc" -eq 2
check "the refusal names the id" grep -q "'no-such-job', which is no job" <<<"$err"
# --adopt (issue 18) records a person's choice only for a job whose create got no answer.
done_job=$(python3 -c "import json,sys; print(next(e['job'] for e in map(json.loads, open(sys.argv[1])) if 'job' in e))" \
           "$work/small.ledger.jsonl")
run "$bin" run --simulate --adopt "$done_job=task-unified-1796400000-abcdefgh" --ledger "$work/small.ledger.jsonl" "$work/small.yaml"
check "--adopt for a completed job is refused (2)" test "$rc" -eq 2
check "the refusal says which jobs can adopt" grep -q "only a job whose create got no answer can adopt a task; this one is completed" <<<"$err"
run "$bin" status --reconcile --ledger "$work/small.ledger.jsonl" "$work/small.yaml"
check "status --reconcile refuses a simulated run's ledger (2)" test "$rc" -eq 2
check "the refusal says why" grep -q "is a simulated run's ledger" <<<"$err"
run "$bin" run --simulate --adopt "no-such-job" --ledger "$work/small.ledger.jsonl" "$work/small.yaml"
check "--adopt without =TASK is refused (2)" test "$rc" -eq 2
check "the refusal says the form" grep -q "it is not JOB=TASK" <<<"$err"
run "$bin" run --simulate --time-scale 0.002 --no-download --ledger "$work/nodl.ledger.jsonl" "$work/small.yaml"
check "--no-download completes without result files" test "$rc" -eq 0 -a "$(grep -c '"ev":"downloaded"' "$work/nodl.ledger.jsonl")" -eq 0
run "$bin" run --simulate --time-scale 0.002 --output-dir "$work/elsewhere" --ledger "$work/dir.ledger.jsonl" "$work/small.yaml"
check "--output-dir puts the results there" test -f "$work/elsewhere/a.mp4"
run "$bin" status --ledger "$work/small.ledger.jsonl" "$work/small.yaml"
check "status reads the ledger (0)" test "$rc" -eq 0
check "status counts the completed jobs" grep -q "3 jobs: 3 completed" <<<"$out"
run "$bin" status --json --ledger "$work/small.ledger.jsonl" "$work/small.yaml"
check "status --json has counts and rows" test "$(json_get 'd["counts"]["completed"], len(d["jobs"]), d["jobs"][0]["state"]')" = "3 3 completed"
run "$bin" plan --json --ledger "$work/small.ledger.jsonl" "$work/small.yaml"
check "plan with a finished ledger submits nothing and skips 3" test "$(json_get 'd["actions"]["submit"], d["actions"]["skip"], d["credits"]["carried"] > 0')" = "0 3 True"
# Server text in the ledger (a task id, an error code and message) holding escape sequences that
# would retitle the window and clear the screen: status shows it cleaned, as run does.
python3 - "$work/small.ledger.jsonl" "$work/esc.ledger.jsonl" <<'PY'
import json, sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
sub = next(e for e in map(json.loads, lines) if e["ev"] == "submitting")
bad = {"v": 1, "t": sub["t"] + 1, "job": sub["job"], "req": sub["req"], "ev": "failed", "attempt": sub["attempt"],
       "key": sub["key"], "task": "task-unified-1-\x1b]0;owned\x07",
       "error": {"code": "service_error\x1b[31m", "message": "\x1b]0;pwned\x07\x1b[2Jcleared\x9b31m"}}
with open(sys.argv[2], "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n" + json.dumps(bad) + "\n")
PY
run "$bin" status --ledger "$work/esc.ledger.jsonl" "$work/small.yaml"
check "status reads a ledger with escape sequences in server text (0)" test "$rc" -eq 0
check "status prints no escape sequence from the server" test "$(grep -c $'[\x1b\x07]\|\xc2\x9b' <<<"$out")" -eq 0
check "status still shows the message and the task, cleaned" grep -q 'service_error \[31m:  \]0;pwned  \[2Jcleared  31m' <<<"$out"
check "status still shows the task, cleaned" grep -q 'task-unified-1- \]0;owned ' <<<"$out"
run "$bin" status --json --ledger "$work/esc.ledger.jsonl" "$work/small.yaml"
check "status --json keeps the server text exactly (JSON escapes it)" test "$(json_get '[j["error"]["message"] for j in d["jobs"] if "error" in j] == ["\x1b]0;pwned\x07\x1b[2Jcleared\x9b31m"]')" = True
{ head -n 2 "$work/small.ledger.jsonl"; echo '{"v":1,"t":5,"job":"a","req":"x","ev":"no-such-event"}'; tail -n +3 "$work/small.ledger.jsonl"; } >"$work/bad.ledger.jsonl"
run "$bin" status --ledger "$work/bad.ledger.jsonl" "$work/small.yaml"
check "a damaged ledger line is an error (2)" test "$rc" -eq 2
check "the error names the ledger line" grep -q "bad.ledger.jsonl:3: error" <<<"$err"
run "$bin" plan --ledger "$work/bad.ledger.jsonl" "$work/small.yaml"
check "plan refuses a damaged ledger too (2)" test "$rc" -eq 2
run env -u EVOLINK_API_KEY "$bin" run --ledger "$work/other.ledger.jsonl" "$work/small.yaml"
check "run without a key is bad input (2)" test "$rc" -eq 2
check "run says which variable holds the key" grep -q "EVOLINK_API_KEY" <<<"$err"
check "run without a key sends nothing" test ! -s "$work/other.ledger.jsonl"
run "$bin" run --simulate --json --time-scale 0.002 --ledger "$work/json.ledger.jsonl" "$work/small.yaml"
check "run --json ends with a summary event" test "$(tail -n 1 <<<"$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["ev"])')" = summary

check "Ctrl-C stops a run gracefully (3) with a consistent ledger" \
  python3 "$root/tests/cli/interrupt_run.py" "$bin" jobs/demo.yaml "$work/int1.ledger.jsonl" 1
check "a second Ctrl-C quits at once (3), the ledger still parses" \
  python3 "$root/tests/cli/interrupt_run.py" "$bin" jobs/demo.yaml "$work/int2.ledger.jsonl" 2
check "run --json | head -1 stops as Ctrl-C does (3, not 141) with a consistent ledger" \
  python3 "$root/tests/cli/stop_run.py" "$bin" jobs/demo.yaml "$work/pipe1.ledger.jsonl" head
check "run --json whose reader goes away mid-run stops (3) with a consistent ledger" \
  python3 "$root/tests/cli/stop_run.py" "$bin" jobs/demo.yaml "$work/pipe2.ledger.jsonl" reader
check "SIGHUP stops a run as Ctrl-C does (3, not 129) with a consistent ledger" \
  python3 "$root/tests/cli/stop_run.py" "$bin" jobs/demo.yaml "$work/hup.ledger.jsonl" sighup

printf '{"v":1,"ev":"start","t":1,"port":1}\nnot a state line\n' >"$work/bad.sim.jsonl"
run "$bin" sim --state "$work/bad.sim.jsonl"
check "sim --state refuses a file that is not a simulator state (2)" test "$rc" -eq 2
check "the refusal names the file and the line" grep -q "bad.sim.jsonl:2: not a JSON object" <<<"$err"

start_sim() { # start_sim NAME ARGS...: `evobatch sim ARGS` in the background, its output in $work/NAME.out;
  # sets sim_pid, sim_url and sim_ca once it listens (the EXIT trap stops it)
  local out="$work/$1.out"
  shift
  "$bin" sim "$@" >"$out" 2>&1 &
  sim_pid=$!
  sim_pids="${sim_pids:-} $sim_pid"
  trap 'kill $sim_pids 2>/dev/null; rm -rf "$work"' EXIT
  for _ in $(seq 100); do grep -q '^listening' "$out" && break; sleep 0.05; done
  sim_url=$(sed -n 's/^listening \([^ ]*\) ca=.*/\1/p' "$out")
  sim_ca=$(sed -n 's/^listening [^ ]* ca=//p' "$out")
}

# A separate simulator process with a small balance, reached over TLS with its CA file.
export CLI_SIM_KEY=cli-test-key-0123456789
start_sim sim --key-env CLI_SIM_KEY --credits 40 --time-scale 0.002 --log "$work/sim.log"
check "the simulator process is listening" test -n "$sim_url"
printf 'version: 1\ndefaults: {prompt: p}\nvideos: [https://cdn.example.com/x1.mp4, https://cdn.example.com/x2.mp4]\n' >"$work/two.yaml"
sim_flags=(--base-url "$sim_url" --ca-file "$sim_ca")
run env EVOLINK_API_KEY=$CLI_SIM_KEY "$bin" plan --balance "${sim_flags[@]}" --ledger "$work/two.ledger.jsonl" "$work/two.yaml"
check "plan --balance reads the balance (0)" test "$rc" -eq 0
check "plan --balance: two jobs fit in 40 credits" grep -q "balance: 40 credits; this run may reserve up to 30" <<<"$out"
check "plan --balance says run would start" grep -q "run. would start" <<<"$out"
run env EVOLINK_API_KEY=$CLI_SIM_KEY "$bin" plan --balance --json "${sim_flags[@]}" --ledger "$work/bal.ledger.jsonl" "$work/small.yaml"
check "plan --balance --json: three jobs (45) do not fit in 40" test "$(json_get 'd["balance"]["remaining"], d["balance"]["may_reserve"], d["balance"]["fits"]')" = "40.0 45 False"
run env EVOLINK_API_KEY=wrong-key-0123456789 "$bin" plan --balance "${sim_flags[@]}" --ledger "$work/two.ledger.jsonl" "$work/two.yaml"
check "plan --balance with a refused key (4)" test "$rc" -eq 4
check "plan --balance never prints the refused key" bash -c '! grep -q wrong-key "$1" "$2"' _ "$work/out" "$work/err"
run env -u EVOLINK_API_KEY "$bin" plan --balance "${sim_flags[@]}" "$work/two.yaml"
check "plan --balance without a key is bad input (2)" test "$rc" -eq 2
# A key file edited on Windows: refused at once (exit 2), saying what is wrong, never the key.
no_key_part() { ! grep -q -e cli-test-key -e 0123456789 "$work/out" "$work/err"; }
run env EVOLINK_API_KEY=$CLI_SIM_KEY$'\r' timeout 20 "$bin" plan --balance "${sim_flags[@]}" "$work/two.yaml"
check "plan --balance with a key ending in CR is bad input (2)" test "$rc" -eq 2
check "plan --balance says the key ends with a carriage return" grep -q "the API key in EVOLINK_API_KEY ends with a carriage return (a file edited on Windows?)" <<<"$err"
check "plan --balance prints no part of a refused key" no_key_part
run env EVOLINK_API_KEY=$CLI_SIM_KEY$'\r' timeout 20 "$bin" run "${sim_flags[@]}" --ledger "$work/cr.ledger.jsonl" "$work/small.yaml"
check "run with a key ending in CR is bad input (2), not 45 s of retries" test "$rc" -eq 2
check "run says the key ends with a carriage return" grep -q "the API key in EVOLINK_API_KEY ends with a carriage return" <<<"$err"
check "run prints no part of a refused key" no_key_part
check "run with a refused key writes no ledger" test ! -s "$work/cr.ledger.jsonl"
run env EVOLINK_API_KEY=$'cli-test-key-01234\t56789' timeout 20 "$bin" run "${sim_flags[@]}" --ledger "$work/cr.ledger.jsonl" "$work/small.yaml"
check "run with a tab inside the key is bad input (2)" test "$rc" -eq 2
check "run says the key holds whitespace" grep -q "the API key in EVOLINK_API_KEY holds whitespace" <<<"$err"
check "plan --balance and run with bad keys send nothing" test ! -s "$work/sim.log"
run env EVOLINK_API_KEY=$CLI_SIM_KEY "$bin" plan --balance --base-url https://127.0.0.1:1 --ca-file "$sim_ca" "$work/two.yaml"
check "plan --balance with the API out of reach (3), the plan still printed" test "$rc" -eq 3 -a -n "$out"
check "plan --balance sends no create" test ! -s "$work/sim.log"
run env EVOLINK_API_KEY=$CLI_SIM_KEY "$bin" run --base-url "$sim_url" --ca-file "$sim_ca" --ledger "$work/bal.ledger.jsonl" "$work/small.yaml"
check "a ceiling above the balance is refused (2)" test "$rc" -eq 2
check "the refusal names the balance and the way out" grep -q "above the balance (40).*--allow-overdraft" <<<"$err"
check "the refusal creates no task" test ! -s "$work/sim.log"
# One job: at least 25 of the 40 credits stay for the overdraft run below.
printf 'version: 1\ndefaults: {prompt: p}\nvideos: [https://cdn.example.com/y1.mp4]\n' >"$work/one.yaml"
# --no-probe: the made-up sources would send a probe's DNS lookups off this machine.
run env EVOLINK_API_KEY=$CLI_SIM_KEY "$bin" run --base-url "$sim_url" --ca-file "$sim_ca" --no-probe --no-download --ledger "$work/one.ledger.jsonl" "$work/one.yaml"
check "one job (at most 15 credits) runs on a balance of 40 under the default ceiling of 500 (0)" test "$rc" -eq 0
check "the balance line says what the run may reserve" grep -q "may reserve up to 15 (1 job to submit" <<<"$err"
tasks_before_overdraft=$(wc -l <"$work/sim.log")
{
  echo 'version: 1'
  echo 'limits: {requests_per_second: 50, burst: 10, max_in_flight: 2, max_credits: 1000}'
  echo 'defaults: {prompt: Make it cinematic}'
  echo 'videos:'
  for i in $(seq 10); do echo "  - https://cdn.example.com/v$i.mp4"; done
} >"$work/ten.yaml"
run env EVOLINK_API_KEY=$CLI_SIM_KEY "$bin" run --base-url "$sim_url" --ca-file "$sim_ca" --no-probe --allow-overdraft --ledger "$work/over.ledger.jsonl" "$work/ten.yaml"
check "with --allow-overdraft the API's 402 stops the run (4)" test "$rc" -eq 4
check "the 402 is named in the summary" grep -qi "402\|credits" <<<"$err"
check "the overdraft run made tasks before the 402" test "$(($(wc -l <"$work/sim.log") - tasks_before_overdraft))" -gt 0
check "the tasks the balance covered completed" test "$(grep -c '"ev":"completed"' "$work/over.ledger.jsonl")" -eq "$(($(wc -l <"$work/sim.log") - tasks_before_overdraft))"
run env EVOLINK_API_KEY=wrong-key-0123456789 "$bin" run --base-url "$sim_url" --ca-file "$sim_ca" --ledger "$work/bad-key.ledger.jsonl" "$work/small.yaml"
check "a refused key stops at once (4)" test "$rc" -eq 4
check "a refused key is not printed" bash -c '! grep -q wrong-key "$1"' _ "$work/err"
# ---- plan --probe (issue 17): the simulator's /media/ files (tests/media/catalog.txt: seconds)
# probed over TLS with its CA, each job counted at its exact cost; preflight.probe: false does
# not stop an explicit --probe.
{
  echo 'version: 1'
  echo 'preflight: {probe: false}'
  echo 'defaults: {prompt: p}'
  echo 'videos:'
  for f in faststart_4s.mp4 faststart_9s.mp4 clip_9s.mov not_video.mp4 faststart_25s.mp4 fragmented_9s.mp4 \
    'moov_at_end_9s.mp4?lie=error'; do
    echo "  - $sim_url/media/$f"
  done
} >"$work/media.yaml"
tasks_before_probe=$(wc -l <"$work/sim.log")
media_plan=("$bin" plan "${sim_flags[@]}" --ledger "$work/media.ledger.jsonl" "$work/media.yaml")
run "${media_plan[@]}" --max-credits 40
check "plan without --probe on the media manifest plans at the most (0)" test "$rc" -eq 0
check "without --probe 40 credits surely cover 2 jobs" grep -q "the ceiling surely covers 2 of 7 jobs" <<<"$out"
run "${media_plan[@]}" --max-credits 40 --probe --max-probes 3
check "plan --probe with a rejected job exits 1" test "$rc" -eq 1
row() { grep -Eq "^$1 +submit +$2 +$3 +$4( |\$)" <<<"$out"; } # row JOB SECONDS BILLED CREDITS
check "plan --probe: 4 s is billed as 6 s, 5 credits" row faststart_4s 4.0 6 5
check "plan --probe: 9 s is 7 credits" row faststart_9s 9.0 9 7
check "plan --probe: a 9 s MOV is 7 credits" row clip_9s 9.0 9 7
check "plan --probe: 25 s is billed as 20 s, 15 credits" row faststart_25s 25.0 20 15
check "plan --probe: the HTML file is rejected with its code" grep -Eq "^not_video +submit +- +- +- +REJECTED not_a_video: " <<<"$out"
check "plan --probe: a fragmented MP4 has no duration: counted at 15" \
  grep -Eq "^fragmented_9s +submit +- +- +<=15 +unprobed, counted at 15: .*fragmented" <<<"$out"
check "plan --probe: a host answering 500 leaves its job unprobed, counted at 15" \
  grep -Eq "^moov_at_end_9s +submit +- +- +<=15 +unprobed, counted at 15: .*HTTP 500" <<<"$out"
check "plan --probe totals" \
  grep -q "exact credits 34 for 4 jobs; 1 rejected (never sent); 2 unprobed counted at the most (30)" <<<"$out"
check "plan --probe: the rejected job sends no create" grep -q "submit     7 jobs; 1 of them rejected by the probe: never sent" <<<"$out"
check "plan --probe: 6 creates" grep -q "requests   6 creates" <<<"$out"
check "plan --probe: 40 credits cover 5 jobs in order at their own cost" \
  grep -q "the ceiling covers 5 of 7 jobs in manifest order at their own cost (34 credits).*--max-credits 64 covers them all" <<<"$out"
run "${media_plan[@]}" --probe --json
check "plan --probe --json exits 1 too" test "$rc" -eq 1
check "plan --probe --json: the credit figures" \
  test "$(json_get '[d["credits"][k] for k in ("probed", "exact", "jobs_exact", "jobs_rejected", "jobs_unprobed", "expected", "at_most", "jobs_within_ceiling")]')" = "[True, 34, 4, 1, 2, 64, 64, 7]"
check "plan --probe --json: each job's cost" \
  test "$(json_get '[(j["id"], j["billed_seconds"], j["cost"], j["counted"]) for j in d["probe"]["jobs"]][:5]')" = \
  "[('faststart_4s', 6, 'exact', 5), ('faststart_9s', 9, 'exact', 7), ('clip_9s', 9, 'exact', 7), ('not_video', None, 'rejected', 0), ('faststart_25s', 20, 'exact', 15)]"
run "${media_plan[@]}" --probe --jobs --json
check "plan --probe --jobs: each request at its probed cost" \
  test "$(json_get '[j["credits_at_most"] for j in d["job_requests"]]')" = "[5, 7, 7, 0, 15, 15, 15]"
check "plan --probe --json: the rejected job's code" test "$(json_get 'd["probe"]["jobs"][3]["code"]')" = not_a_video
# A job whose create went out without an answer is sent again under its same key: not probed,
# counted at the most. (The run's own simulator makes the tasks; the media are the one above.)
printf 'version: 1\ndefaults: {prompt: p}\nvideos: [%s/media/faststart_9s.mp4, %s/media/clip_9s.mov]\n' \
  "$sim_url" "$sim_url" >"$work/resend.yaml"
run "$bin" run --simulate --time-scale 0.002 --quiet --no-download --ledger "$work/resend.ledger.jsonl" "$work/resend.yaml"
check "the run to resend from completes (0)" test "$rc" -eq 0
grep -e '"ev":"batch"' -e '"job":"faststart_9s".*"ev":"submitting"' "$work/resend.ledger.jsonl" >"$work/cut.jsonl"
mv "$work/cut.jsonl" "$work/resend.ledger.jsonl" # as if it crashed right after faststart_9s's create left
run "$bin" plan --probe "${sim_flags[@]}" --ledger "$work/resend.ledger.jsonl" "$work/resend.yaml"
check "plan --probe with nothing rejected exits 0" test "$rc" -eq 0
check "plan --probe: a resend is not probed, counted at 15" \
  grep -Eq "^faststart_9s +resend +- +- +<=15 +unprobed, counted at 15: sent again under its same key, not probed" <<<"$out"
check "plan --probe: the new job beside it is probed" grep -Eq "^clip_9s +submit +9.0 +9 +7 *$" <<<"$out"
check "plan --probe: totals with a resend" \
  grep -q "exact credits 7 for 1 job; 0 rejected (never sent); 1 unprobed counted at the most (15)" <<<"$out"
check "plan --probe sends nothing to the API" test "$(wc -l <"$work/sim.log")" -eq "$tasks_before_probe"

kill "$sim_pid"

# ---- probe: jobs on a fresh simulator's media host (its own balance: the one above is spent).
# Its Next: line works pasted as printed: `run` with every job usable, `probe` again with some
# rejected. The manifest's name has a space, so the pasted commands must quote it.
start_sim probe-sim --key-env CLI_SIM_KEY --time-scale 0.002
check "the probe's simulator is listening" test -n "$sim_url"
media_manifest() { # media_manifest FILE NAME...: one job per file of the simulator's /media/
  local file=$1
  shift
  {
    echo 'version: 1'
    echo "api: {base_url: \"$sim_url\", ca_file: \"$sim_ca\"}"
    echo "output: {dir: \"$work/probe results\"}"
    echo 'defaults: {prompt: p}'
    echo 'videos:'
    for name in "$@"; do echo "  - $sim_url/media/$name"; done
  } >"$file"
}
next_command() { sed -n 's/^Next: [^`]*`\([^`]*\)`.*/\1/p' <<<"$out" | head -n 1; }
media_manifest "$work/probe ok.yaml" faststart_9s.mp4 moov_at_end_9s.mp4
run "$bin" probe "$work/probe ok.yaml"
check "probe with every job usable (0)" test "$rc" -eq 0
check "probe counts them" grep -q "2 jobs: 2 usable, 0 rejected, 0 not probed. Credits: 14 exact." <<<"$out"
check "probe's Next: line is run on the same manifest, quoted" \
  grep -qxF "Next: \`$bin run '$work/probe ok.yaml'\` sends the batch" <<<"$out"
pasted=$(next_command)
run env EVOLINK_API_KEY=$CLI_SIM_KEY bash -c "$pasted"
check "probe's Next: run, pasted, runs the batch (0)" test "$rc" -eq 0
check "the pasted run completes both jobs" grep -q "Completed 2 of 2 jobs" <<<"$err"
run "$bin" probe --json "$work/probe ok.yaml"
check "probe --json has the Next: line too" test "$(json_get 'len(d["next"]), "sends the batch" in d["next"][0]')" = "1 True"

media_manifest "$work/probe bad.yaml" faststart_9s.mp4 not_video.mp4
run "$bin" probe --max-probes 1 "$work/probe bad.yaml"
check "probe with a job rejected (1)" test "$rc" -eq 1
check "probe's Next: line says to fix the rejected job and probe again" \
  grep -qF "Next: the API would refuse the 1 job listed as rejected" <<<"$out"
check "probe's Next: line repeats the probe as typed, quoted" grep -qF "\`$bin probe --max-probes 1 '$work/probe bad.yaml'\` probes again" <<<"$out"
check "probe with a job rejected does not offer run" bash -c '! grep -q "^Next: .* run " <<<"$1"' _ "$out"
first_out=$out
pasted=$(next_command)
run bash -c "$pasted"
check "probe's Next: probe, pasted, probes again (1, the same verdicts)" test "$rc" -eq 1 -a "$out" = "$first_out"
kill "$sim_pid"

# ---- Manifest messages (wt-manifest): api.credits_per_usd, a value with ': ' in it, a plain
# prompt cut by a YAML comment. Small manifests, validated only; nothing is sent.
one_video() { # one_video FILE LINE...: `version: 1`, the LINEs, then one video
  local file=$1
  shift
  { echo 'version: 1'; printf '%s\n' "$@"; echo 'videos: [https://cdn.example.com/a.mp4]'; } >"$file"
}
# A CA file that is gone (a simulator's temporary one): a run's commands refuse the batch, the
# offline ones (status, report) read it with a warning.
one_video "$work/gone-ca.yaml" 'api: {ca_file: gone/ca.pem}' 'defaults: {prompt: p}'
run "$bin" validate "$work/gone-ca.yaml"
check "a missing api.ca_file is bad input to validate (2)" test "$rc" -eq 2
check "it names the file" grep -qF "gone-ca.yaml:2:16: error: api.ca_file \"$work/gone/ca.pem\" is not a file" <<<"$err"
run "$bin" status "$work/gone-ca.yaml"
check "status reads the batch all the same (0)" test "$rc" -eq 0
check "with a warning that a run needs the file" grep -qF "warning: api.ca_file \"$work/gone/ca.pem\" is not a file: read offline" <<<"$err"
run "$bin" report "$work/gone-ca.yaml" --format json
check "report too (0)" test "$rc" -eq 0 -a "$(json_get 'len(d["jobs"])')" = 1
one_video "$work/usd.yaml" 'api:' '  credits_per_usd: 0' 'defaults: {prompt: p}'
run "$bin" validate "$work/usd.yaml"
check "api.credits_per_usd 0 is bad input (2)" test "$rc" -eq 2
check "the credits_per_usd error is compiler style at its value" \
  grep -q "^$work/usd.yaml:3:20: error: api.credits_per_usd is 0; it must be above 0" <<<"$err"
one_video "$work/usd.yaml" 'api:' '  credits_per_usd: 75.5' 'defaults: {prompt: p}'
run "$bin" validate "$work/usd.yaml"
check "a positive api.credits_per_usd validates (0)" test "$rc" -eq 0 -a -z "$err"

one_video "$work/colon.yaml" 'defaults:' '  prompt: Replace the sky: make it stormy'
run "$bin" validate "$work/colon.yaml"
check "a plain value with ': ' in it is bad input (2)" test "$rc" -eq 2
check "a YAML syntax error keeps its position and says to quote the value" \
  grep -qF "$work/colon.yaml:3:26: error: invalid YAML: mapping values are not allowed in this context; the value of 'prompt' contains ': ', so put the whole value in quotes (prompt: \"...\")" <<<"$err"
one_video "$work/cut.yaml" 'defaults:' '  prompt: Make it look like take #2'
run "$bin" validate "$work/cut.yaml"
check "a prompt cut by a comment still validates (0)" test "$rc" -eq 0
check "validate counts the warning" grep -q "cut.yaml: ok, 1 job (1 warning)" <<<"$out"
check "the warning says what is sent and how to keep the rest, at the prompt" \
  grep -qF "$work/cut.yaml:3:11: warning: defaults: prompt is sent as \"Make it look like take\": ' #2' starts a YAML comment; quote the whole prompt (\"Make it look like take #2\") to keep it" <<<"$err"
run "$bin" plan "$work/cut.yaml"
check "plan shows the warning too" grep -q "cut.yaml:3:11: warning: defaults: prompt is sent as" <<<"$err"
run "$bin" status "$work/cut.yaml"
check "status shows a single warning in full" grep -q "cut.yaml:3:11: warning: defaults: prompt is sent as" <<<"$err"
# Many warnings would bury status's and report's answer: one line counts them, and its command,
# pasted as printed, lists them.
printf 'version: 1\npreflight: {probe: false}\ndefaults: {prompt: Make it cinematic}\njobs:\n' >"$work/near.yaml"
for n in 1 2 3 4; do printf '  - {id: near-%s, video: "https://127.0.0.1/%s.mp4"}\n' "$n" "$n" >>"$work/near.yaml"; done
run "$bin" status "$work/near.yaml"
check "status counts four warnings in one line" test "$rc" -eq 0 -a "$(grep -c "warning:" <<<"$err")" -eq 0
summary=$(grep -F "near.yaml: 4 warnings (" <<<"$err")
check "the count names the command that lists them" test -n "$summary"
listing=$(cd "$work" && eval "$(sed -n 's/.*(`\(.*\)` lists them)$/\1/p' <<<"$summary")" 2>&1)
check "that command, pasted, lists the four" test "$(grep -c "points at a loopback or private address" <<<"$listing")" -eq 4
run "$bin" report "$work/near.yaml" --format csv
check "report counts them the same way" grep -qF "near.yaml: 4 warnings (" <<<"$err"
run "$bin" validate --json "$work/cut.yaml"
check "validate --json counts it as a warning" \
  test "$(json_get 'd["ok"], d["manifests"][0]["warnings"], d["manifests"][0]["diagnostics"][0]["severity"]')" = "True 1 warning"
run "$bin" plan "$work/cut.yaml" --jobs --json
check "plan --jobs lists each job's request as it will be sent" \
  test "$(json_get 'len(d["job_requests"]), d["job_requests"][0]["prompt"], d["job_requests"][0]["action"], d["job_requests"][0]["credits_at_most"]')" = "1 Make it look like take submit 15"
run "$bin" plan "$work/cut.yaml" --jobs
check "plan --jobs shows the prompt as sent, in a table" grep -qF '"Make it look like take"' <<<"$out"
one_video "$work/cut.yaml" 'defaults:' '  prompt: "Make it look like take #2"'
run "$bin" validate "$work/cut.yaml"
check "a quoted prompt keeps its '#' and gets no warning" test "$rc" -eq 0 -a -z "$err"

# ---- A resumed run reuses its probes (issue 17). The first run stops at its ceiling after two
# 9 s clips (7 credits each, exact: a ceiling of 14 admits two where the worst case admitted
# none); the next run sends the other two without probing them again: the media host answers
# 304 to the validators the ledger kept.
{
  echo 'version: 1'
  echo 'output: {ledger: reuse.ledger.jsonl, dir: reuse-results, download: false}'
  echo 'defaults: {prompt: p}'
  echo 'jobs:'
  for i in 1 2 3 4; do
    echo "  - {id: take-$i, video: \"https://simulator.invalid/media/faststart_9s.mp4?take=$i\"}"
  done
} >"$work/reuse.yaml"
run "$bin" run --simulate --time-scale 0.002 --json --max-credits 14 "$work/reuse.yaml"
summary=$(grep '"ev":"summary"' <<<"$out")
check "a ceiling of 14 pays for two 9 s clips at their exact cost (3)" test "$rc" -eq 3
check "... two completed, two left at the ceiling, four probed" \
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if (d["completed"],d["unsubmitted"],d["probed"],d["probes_reused"])==(2,2,4,0) else 1)' "$summary"
check "... every probe is in the ledger" test "$(grep -c '"ev":"probed"' "$work/reuse.ledger.jsonl")" -eq 4
check "... and its Next: line names the ceiling that pays for the rest at their probed cost (28, not 44)" \
  grep -qF -- '--max-credits 28' <<<"$summary"
run "$bin" run --simulate --time-scale 0.002 --json "$work/reuse.yaml"
summary=$(grep '"ev":"summary"' <<<"$out")
check "the resumed run finishes the batch (0)" test "$rc" -eq 0
check "... reusing the two probes it still needed, not probing again" \
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if (d["completed"],d["probed"],d["probes_reused"])==(4,2,2) else 1)' "$summary"
check "... and writing no new probe" test "$(grep -c '"ev":"probed"' "$work/reuse.ledger.jsonl")" -eq 4

# ---- The README and the demo agree (issue 13): after the demo's run, the README's commands
# that follow it (the block after "all show the demo's batch") read that run, in order. A copy
# of jobs/ in its own folder, so the demo's build/ ledger there is this test's own.
mkdir -p "$work/clone/build"
cp -r "$root/jobs" "$work/clone/jobs"
pushd "$work/clone" >/dev/null || exit 1
run "$bin" run --simulate --time-scale 0.005 --quiet jobs/demo.yaml
 check "the demo batch runs (1: shot-22's source is not a video, rejected unpaid by design)" test "$rc" -eq 1
 check "the demo rejects shot-22 before paying" grep -q "rejected shot-22: not_a_video" <<<"$out$err"
 check "its ledger is where the manifest says" test -s build/demo.ledger.jsonl
 mapfile -t readme_steps < <(awk '/all show the demo.s batch/{f=1;next} f&&/^```$/{n++; if(n==2) exit; next} f&&n==1' "$root/README.md")
 check "the README lists the commands after the demo" test "${#readme_steps[@]}" -ge 4
 for step in "${readme_steps[@]}"; do
   cmd=${step%%#*}
   read -r -a words <<<"${cmd/build\/evobatch/$bin}"
   run "${words[@]}"
   want=0 # or the exit code the README's comment gives
   if [[ $step =~ exit\ ([0-9]) ]]; then want=${BASH_REMATCH[1]}; fi
   check "README after the demo: '$cmd' exits $want" test "$rc" -eq "$want"
   check "README after the demo: '$cmd' shows the demo's batch, not a new one" \
     bash -c '! grep -qF -e "60 new" -e "no ledger" -e "(0 tasks" <<<"$1"' _ "$out$err"
 done
 run "$bin" status jobs/demo.yaml
 check "status jobs/demo.yaml shows the demo's run" grep -q "60 jobs: 59 completed, 1 rejected" <<<"$out"
popd >/dev/null || exit 1

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
