// Issue 17, images: the real format of a reference image from its first 16 bytes (one Range
// request `bytes=0-15`; the size comes from Content-Range's total). Also the ISO BMFF check a
// source video's first bytes get before any library sees them.
//   g++ -O2 -std=c++20 image_magic.cpp -o image_magic && ./image_magic FILE...
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string_view>

enum class Kind { Png, Jpeg, WebP, Gif, IsoBmff, Other };

constexpr size_t kMagicBytes = 16;

Kind sniff(const uint8_t* p, size_t n) {
    auto at = [&](size_t off, std::string_view s) {
        return n >= off + s.size() && memcmp(p + off, s.data(), s.size()) == 0;
    };
    if (at(0, "\x89PNG\r\n\x1a\n"))
        return Kind::Png;
    if (n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
        return Kind::Jpeg;
    if (at(0, "RIFF") && at(8, "WEBP"))
        return Kind::WebP;
    if (at(0, "GIF87a") || at(0, "GIF89a"))
        return Kind::Gif;
    // MP4/MOV: a box header (32-bit size, 4-char type) whose type is one a file starts with
    for (auto t : {"ftyp", "moov", "mdat", "free", "skip", "wide", "pnot"})
        if (at(4, t))
            return Kind::IsoBmff;
    return Kind::Other;
}

const char* name(Kind k) {
    switch (k) {
    case Kind::Png:
        return "png";
    case Kind::Jpeg:
        return "jpeg";
    case Kind::WebP:
        return "webp";
    case Kind::Gif:
        return "gif (not accepted)";
    case Kind::IsoBmff:
        return "iso-bmff (mp4/mov)";
    default:
        return "other";
    }
}

int main(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        uint8_t b[kMagicBytes];
        FILE* f = fopen(argv[i], "rb");
        if (!f) {
            perror(argv[i]);
            continue;
        }
        size_t n = fread(b, 1, sizeof b, f);
        fclose(f);
        printf("%-40s %s\n", argv[i], name(sniff(b, n)));
    }
}
