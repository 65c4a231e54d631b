// Issue 17: which MediaInfoLib options are per object and which are process-global, and what
// the first object in a process costs. Not built by CMake:
//   g++ -O2 -std=c++20 mediainfo_globals.cpp $(pkg-config --cflags --libs libmediainfo) -o mediainfo_globals
//   ./mediainfo_globals ../../tests/media/faststart_25s.mp4
#include <MediaInfo/MediaInfo.h>
#include <cstdio>
#include <time.h>
#include <vector>
using namespace MediaInfoLib;

static double now_ms() {
    timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char** argv) {
    if (argc < 2)
        return 2;
    // 1. the first objects: global tables are filled on first use
    FILE* f = fopen(argv[1], "rb");
    if (!f)
        return 1;
    std::vector<unsigned char> b(65536);
    size_t n = fread(b.data(), 1, b.size(), f);
    fclose(f);
    for (int i = 0; i < 3; ++i) {
        double t0 = now_ms();
        MediaInfo mi;
        mi.Option(L"File_ParseSpeed", L"-1");
        mi.Option(L"File_ForceParser", L"Mpeg4");
        double t1 = now_ms();
        mi.Open_Buffer_Init(n, 0);
        mi.Open_Buffer_Continue(b.data(), n);
        mi.Open_Buffer_Finalize();
        auto w = mi.Get(Stream_Video, 0, L"Width");
        double t2 = now_ms();
        std::printf("probe %d: construct %.2f ms, parse+finalize+Get %.2f ms, width=%ls\n", i, t1 - t0,
                    t2 - t1, w.c_str());
    }
    // 2. "ParseSpeed" set on one object leaks into every later object; "File_ParseSpeed" does not
    {
        MediaInfo c;
        c.Option(L"File_ParseSpeed", L"0.25");
        MediaInfo d;
        std::printf("after c.Option(File_ParseSpeed, 0.25): c=[%ls] d=[%ls]\n",
                    c.Option(L"File_ParseSpeed_Get").c_str(), d.Option(L"File_ParseSpeed_Get").c_str());
    }
    {
        MediaInfo a;
        a.Option(L"ParseSpeed", L"-1");
    }
    MediaInfo later; // no options set on it
    std::printf(
        "after a.Option(ParseSpeed, -1), a destroyed: later.File_ParseSpeed=[%ls] global ParseSpeed=[%ls]\n",
        later.Option(L"File_ParseSpeed_Get").c_str(), MediaInfo::Option_Static(L"ParseSpeed_Get").c_str());
}
