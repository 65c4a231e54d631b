#include "evobatch/manifest/loader.hpp"

#include "detail/job_fields.hpp"
#include "detail/node_reader.hpp"
#include "detail/sections.hpp"
#include "detail/text_file.hpp"
#include "detail/url_rules.hpp"

#include "evobatch/manifest/yaml_tree.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <tuple>
#include <string_view>
#include <unordered_map>

namespace evobatch::manifest {

namespace fs = std::filesystem;
using detail::JobFields;
using detail::NodeReader;

namespace {

constexpr std::array<std::string_view, 9> k_top_keys{"version", "api",    "limits", "preflight", "defaults",
                                                     "output",  "jobs",   "videos", "video_list"};

std::optional<std::string> belongs_elsewhere(std::string_view key) {
    auto const in = [&](auto const& keys) { return std::find(keys.begin(), keys.end(), key) != keys.end(); };
    if (in(detail::k_limits_keys)) {
        return fmt::format("'{}' belongs under `limits:`", key);
    }
    if (in(detail::k_api_keys)) {
        return fmt::format("'{}' belongs under `api:`", key);
    }
    if (in(detail::k_output_keys)) {
        return fmt::format("'{}' belongs under `output:`", key);
    }
    if (in(detail::k_preflight_keys)) {
        return fmt::format("'{}' belongs under `preflight:`", key);
    }
    constexpr std::array<std::string_view, 8> k_job_words{"id", "model", "prompt", "video", "video_urls",
                                                          "image_urls", "keep_original_sound", "callback_url"};
    if (in(k_job_words)) {
        return fmt::format("'{}' is a job field: put it under `defaults:` (for every job) or in a job", key);
    }
    return std::nullopt;
}

// Builds a Manifest from the parsed tree, collecting every problem on the way.
// video_list lines that are not URLs: how many are named, and how much of each is shown. A
// file that is not a URL list may hold secrets (a `.env`): a few characters tell which file it
// is without printing what it holds.
constexpr std::size_t k_quoted_lines = 3;
constexpr std::size_t k_quoted_characters = 6;

bool looks_like_url(std::string_view entry) {
    auto const scheme_end = entry.find("://");
    return scheme_end != std::string_view::npos && scheme_end > 0 &&
           entry.find_first_of(" =\"'") > scheme_end; // `KEY=https://...` is an assignment, not a URL
}

std::string first_characters(std::string_view entry) {
    std::string out;
    for (std::size_t i = 0; i < entry.size() && out.size() < k_quoted_characters; ++i) {
        auto const c = static_cast<unsigned char>(entry[i]);
        if (c < 0x80) { // ASCII only: never cut a UTF-8 sequence, never print a control character
            out += c >= 0x20 && c != 0x7F ? static_cast<char>(c) : '?';
        }
    }
    return out + (entry.size() > out.size() ? "..." : "");
}

class ManifestBuilder {
public:
    ManifestBuilder(util::Diagnostics& diagnostics, fs::path const& display, fs::path const& base_dir,
                    std::string_view source, LoadOptions const& options)
        : m_diagnostics(diagnostics), m_reader(diagnostics, display.string(), source), m_base_dir(base_dir),
          m_options(options) {
        m_manifest.path = display;
        m_manifest.files.push_back(display.string());
    }

    std::optional<Manifest> build(YamlNode const& root) {
        if (!m_reader.check_mapping(root, "the manifest", k_top_keys, belongs_elsewhere)) {
            return std::nullopt;
        }
        read_version(root);
        if (auto const* v = NodeReader::find(root, "api")) {
            detail::read_api(m_reader, *v, m_manifest.api, m_base_dir, !m_options.offline);
        }
        if (auto const* v = NodeReader::find(root, "limits")) {
            detail::read_limits(m_reader, *v, m_manifest.limits);
        }
        if (auto const* v = NodeReader::find(root, "preflight")) {
            detail::read_preflight(m_reader, *v, m_manifest.preflight);
        }
        set_default_output();
        if (auto const* v = NodeReader::find(root, "output")) {
            detail::read_output(m_reader, *v, m_manifest.output, m_base_dir);
        }
        if (auto const* v = NodeReader::find(root, "defaults")) {
            m_defaults = detail::read_job_fields(m_reader, *v, "defaults: ", true);
        }
        if (auto const* v = NodeReader::find(root, "jobs")) {
            read_jobs(*v);
        }
        if (auto const* v = NodeReader::find(root, "videos")) {
            read_videos(*v);
        }
        if (auto const* v = NodeReader::find(root, "video_list")) {
            read_video_list(*v);
        }
        if (m_job_count == 0 && !m_diagnostics.has_errors()) {
            m_reader.error(root.mark, "the manifest has no jobs; add a `jobs:` list, a `videos:` list or a "
                                      "`video_list:` file (see jobs/README.md)");
        }
        if (m_diagnostics.has_errors()) {
            return std::nullopt;
        }
        return std::move(m_manifest);
    }

private:
    void read_version(YamlNode const& root) {
        YamlNode const* v = NodeReader::find(root, "version");
        if (v == nullptr) {
            m_reader.error(root.mark, fmt::format("the manifest has no `version:`; add `version: {}` as its first line",
                                                  k_supported_version));
            return;
        }
        if (auto version = m_reader.integer(*v, "version", 1, 1'000'000)) {
            if (*version != k_supported_version) {
                m_reader.error(v->mark, fmt::format("manifest version {} is not supported; this evobatch reads "
                                                    "version {}",
                                                    *version, k_supported_version));
            }
        }
    }

    void set_default_output() {
        std::string const stem = m_manifest.path.stem().string();
        m_manifest.output.ledger = (m_base_dir / (stem + ".ledger.jsonl")).lexically_normal();
        m_manifest.output.dir = (m_base_dir / "out" / stem).lexically_normal();
    }

    void read_jobs(YamlNode const& node) {
        if (node.kind != NodeKind::sequence) {
            m_reader.error(node.mark, fmt::format("jobs must be a list of jobs (`- id: ...` lines), not {}",
                                                  describe(node.kind)));
            return;
        }
        m_manifest.jobs.reserve(m_manifest.jobs.size() + node.children.size());
        std::size_t index = 0;
        for (YamlNode const& item : node.children) {
            ++index;
            if (item.kind == NodeKind::scalar) {
                m_reader.error(item.mark, "a job must be a mapping (`- id: ...` then `video: ...`); put plain video "
                                          "URLs under `videos:`");
                continue;
            }
            YamlNode const* id = NodeReader::find(item, "id");
            std::string const label = id != nullptr && id->kind == NodeKind::scalar && detail::is_valid_id(id->value)
                                          ? fmt::format("job '{}': ", id->value)
                                          : fmt::format("job #{}: ", index);
            JobFields fields = detail::read_job_fields(m_reader, item, label, false);
            // An item that is not a mapping has no fields of its own to name it by.
            JobId job_id = item.kind == NodeKind::mapping ? id_of(fields) : JobId{};
            Mark const at = item.mark;
            add_job(detail::merge_job(m_reader, m_defaults, std::move(fields), label), std::move(job_id),
                    m_reader, 0, at);
        }
    }

    void read_videos(YamlNode const& node) {
        auto list = m_reader.text_list(node, "videos");
        if (!list) {
            return;
        }
        m_manifest.jobs.reserve(m_manifest.jobs.size() + list->size());
        for (auto& [url, at] : *list) {
            add_video(m_reader, 0, std::move(url), at);
        }
    }

    void read_video_list(YamlNode const& node) {
        auto name = m_reader.text(node, "video_list");
        if (!name) {
            return;
        }
        fs::path const path = detail::resolve(m_base_dir, *name);
        std::string const display = path.string();
        detail::TextFile file = detail::read_text_file(path);
        if (file.problem) {
            if (file.problem->at) {
                m_diagnostics.error(display, file.problem->at->line, file.problem->at->column, file.problem->message);
            } else {
                m_reader.error(node.mark,
                               fmt::format("video_list '{}': {} (a relative path starts at the manifest's "
                                           "folder)",
                                           display, file.problem->message));
            }
            return;
        }
        auto const file_index = static_cast<std::uint32_t>(m_manifest.files.size());
        m_manifest.files.push_back(display);
        NodeReader list_reader(m_diagnostics, display);
        std::size_t const before = m_job_count;
        std::size_t not_urls = 0;
        std::string_view rest = file.text;
        std::uint32_t line = 0;
        while (!rest.empty()) {
            ++line;
            std::size_t const eol = rest.find('\n');
            std::string_view entry = rest.substr(0, eol);
            rest.remove_prefix(eol == std::string_view::npos ? rest.size() : eol + 1);
            std::size_t const indent = entry.find_first_not_of(" \t");
            if (indent == std::string_view::npos || entry[indent] == '#') {
                continue;
            }
            entry.remove_prefix(indent);
            while (!entry.empty() && (entry.back() == ' ' || entry.back() == '\t' || entry.back() == '\r')) {
                entry.remove_suffix(1);
            }
            Mark const at{line, static_cast<std::uint32_t>(indent + 1)};
            if (!looks_like_url(entry)) {
                // The wrong file (a `.env` holding a key, say): never echo what it holds.
                if (++not_urls <= k_quoted_lines) {
                    m_diagnostics.error(display, at.line, at.column,
                                        fmt::format("this line is not a URL (it starts '{}'): a video_list holds one "
                                                    "video URL per line; check that video_list names the right file",
                                                    first_characters(entry)));
                }
                continue;
            }
            add_video(list_reader, file_index, std::string(entry), at);
        }
        if (not_urls > k_quoted_lines) {
            m_reader.error(node.mark, fmt::format("video_list {}: {} more lines are not URLs either (not shown)",
                                                  display, not_urls - k_quoted_lines));
        }
        if (m_job_count == before && not_urls == 0) {
            m_reader.warning(node.mark, fmt::format("video_list {} holds no URLs", display));
        }
    }

    void add_video(NodeReader& reader, std::uint32_t file, std::string url, Mark at) {
        JobFields fields;
        fields.mark = at;
        fields.video_url.present = true;
        fields.video_url.mark = at;
        fields.video_url.value = detail::check_video_url(reader, std::move(url), at, "");
        fields.video_url.failed = !fields.video_url.value;
        fields.invalid = fields.video_url.failed;
        JobId id = id_of(fields);
        add_job(detail::merge_job(reader, m_defaults, std::move(fields), ""), std::move(id), reader, file,
                at);
    }

    // The id a job will have (explicit, or its video file's stem), known from its own fields even
    // when some other field is wrong: a duplicate id is then reported in the same pass as the
    // job's other problems, not after they are fixed.
    struct JobId {
        std::optional<std::string> value; // none: the id itself is wrong (reported) or there is no video
        bool explicit_id = false;
        std::string video; // the video it was taken from, when not explicit
    };

    JobId id_of(JobFields const& fields) const {
        if (fields.id.present) {
            return {fields.id.value, true, {}};
        }
        auto const& video = fields.video_url.present ? fields.video_url : m_defaults.video_url;
        if (!video.value) {
            return {};
        }
        return {detail::id_from_stem(detail::file_stem_of(*video.value)), false, *video.value};
    }

    // Claims the job's id (even for a job with errors, so its duplicates are found) and records
    // the job when it is valid and its id is free.
    void add_job(std::optional<Job> job, JobId id, NodeReader& reader, std::uint32_t file, Mark at) {
        ++m_job_count;
        if (!id.value) {
            return;
        }
        if (id.value->empty()) {
            reader.error(
                at, fmt::format("cannot name this job after its video '{}'; give it an `id:`", id.video));
            return;
        }
        Origin const origin{file, at.line, at.column};
        auto const [it, inserted] = m_ids.try_emplace(*id.value, origin);
        if (!inserted) {
            Origin const& first = it->second;
            std::string const where = first.file == file ? fmt::format("line {}", first.line)
                                                         : fmt::format("{}:{}", m_manifest.files[first.file], first.line);
            reader.error(
                at, id.explicit_id
                        ? fmt::format("job id '{}' is already used by the job at {}; ids must be unique",
                                      *id.value, where)
                        : fmt::format("job id '{}' (taken from the video file name) is already used by the "
                                      "job at {}; give these jobs explicit ids (`- id: ...` under `jobs:`)",
                                      *id.value, where));
            return;
        }
        if (job) {
            job->id = std::move(*id.value);
            job->origin = origin;
            m_manifest.jobs.push_back(std::move(*job));
        }
    }

    util::Diagnostics& m_diagnostics;
    NodeReader m_reader;
    fs::path m_base_dir;
    LoadOptions m_options;
    Manifest m_manifest;
    JobFields m_defaults;
    std::unordered_map<std::string, Origin> m_ids; // where each id was first used
    std::size_t m_job_count = 0; // jobs declared, valid or not
};

// Diagnostics come out in reading order (sections, then jobs); people read files top down.
LoadResult finish(util::Diagnostics&& diagnostics, std::string const& manifest_name,
                  std::optional<Manifest> manifest = std::nullopt) {
    LoadResult result;
    if (!diagnostics.has_errors()) {
        result.manifest = std::move(manifest);
    }
    result.diagnostics = std::move(diagnostics).take();
    std::stable_sort(result.diagnostics.begin(), result.diagnostics.end(),
                     [&](util::Diagnostic const& a, util::Diagnostic const& b) {
                         auto const key = [&](util::Diagnostic const& d) {
                             return std::tuple(d.file != manifest_name, std::string_view(d.file), d.line, d.column);
                         };
                         return key(a) < key(b);
                     });
    return result;
}

void report(util::Diagnostics& diagnostics, std::string const& file, detail::TextProblem const& problem) {
    auto const at = problem.at.value_or(util::TextPosition{0, 0});
    diagnostics.error(file, at.line, at.column, problem.message);
}

LoadResult load_checked_text(std::string_view text, fs::path const& display, fs::path const& base_dir,
                             util::Diagnostics&& diagnostics, LoadOptions const& options = {}) {
    std::string const name = display.string();
    YamlParse parsed = parse_yaml(text);
    if (parsed.error) {
        diagnostics.error(name, parsed.error->mark.line, parsed.error->mark.column,
                          "invalid YAML: " + parsed.error->message);
        return finish(std::move(diagnostics), name);
    }
    if (!parsed.root || parsed.root->kind == NodeKind::null) {
        diagnostics.error(name, 0, 0, "the manifest is empty; start from `version: 1` and a `jobs:` list "
                                      "(see jobs/README.md)");
        return finish(std::move(diagnostics), name);
    }
    ManifestBuilder builder(diagnostics, display, base_dir, text, options);
    auto manifest = builder.build(*parsed.root);
    parsed.root.reset(); // free the tree before the caller keeps the jobs
    return finish(std::move(diagnostics), name, std::move(manifest));
}

fs::path folder_of(fs::path const& path) {
    fs::path parent = path.parent_path();
    return parent.empty() ? fs::path(".") : parent;
}

} // namespace

LoadResult load_manifest(fs::path const& path, LoadOptions const& options) {
    util::Diagnostics diagnostics;
    detail::TextFile file = detail::read_text_file(path);
    if (file.problem) {
        report(diagnostics, path.string(), *file.problem);
        return finish(std::move(diagnostics), path.string());
    }
    return load_checked_text(file.text, path, folder_of(path), std::move(diagnostics), options);
}

LoadResult load_manifest_text(std::string_view text, fs::path const& display_name, fs::path const& base_dir) {
    util::Diagnostics diagnostics;
    if (auto problem = detail::check_utf8(text)) {
        report(diagnostics, display_name.string(), *problem);
        return finish(std::move(diagnostics), display_name.string());
    }
    return load_checked_text(text, display_name, base_dir, std::move(diagnostics));
}

} // namespace evobatch::manifest
