#include "job_fields.hpp"

#include "url_rules.hpp"

#include "evobatch/util/json_text.hpp"
#include "evobatch/util/utf8.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace evobatch::manifest::detail {

namespace {

constexpr std::array<std::string_view, 8> k_job_keys{"id",         "model",      "prompt",
                                                     "video",      "video_urls", "image_urls",
                                                     "keep_original_sound", "callback_url"};
constexpr std::array<std::string_view, 2> k_video_extensions{".mp4", ".mov"};
constexpr std::array<std::string_view, 4> k_image_extensions{".jpg", ".jpeg", ".png", ".webp"};
constexpr std::size_t k_max_id_length = 128;

template <class T>
void mark_failed(JobFields& job, Field<T>& field) {
    field.failed = true;
    field.value.reset();
    job.invalid = true;
}

bool is_id_char(unsigned char c) noexcept { return std::isalnum(c) != 0 || c == '.' || c == '_' || c == '-'; }

void warn_if_unreachable(NodeReader& reader, std::string const& url, Mark at, std::string const& label) {
    if (has_internal_host(url)) {
        reader.warning(at, fmt::format("{}'{}' points at a loopback or private address; the API's servers "
                                       "cannot fetch it from there",
                                       label, url));
    }
}

void read_id(NodeReader& reader, YamlNode const& node, JobFields& job, std::string const& label) {
    job.id.present = true;
    job.id.mark = node.mark;
    if (auto id = reader.text(node, label + "id")) {
        if (!is_valid_id(*id)) {
            reader.error(node.mark, fmt::format("{}id '{}' is not a valid job id: use 1 to {} letters, digits, '.', "
                                                "'_' or '-'",
                                                label, *id, k_max_id_length));
            mark_failed(job, job.id);
            return;
        }
        job.id.value = std::move(id);
    } else {
        mark_failed(job, job.id);
    }
}

// As a YAML double-quoted scalar (a JSON string is one), to paste back into the manifest.
std::string yaml_quoted(std::string_view text) {
    std::string out;
    util::append_json_string(text, out);
    return out;
}

// `prompt: Make it look like take #2` sends "Make it look like take": ` #` starts a comment.
// It may be meant as one, so this is a warning; it says what is sent and how to keep the rest.
void warn_if_cut_by_comment(NodeReader& reader, YamlNode const& node, std::string const& label) {
    auto const comment = reader.comment_after(node);
    if (!comment) {
        return;
    }
    std::string const whole = node.value + std::string(*comment);
    reader.warning(node.mark,
                   fmt::format("{}prompt is sent as {}: '{}' starts a YAML comment; quote the whole "
                               "prompt ({}) to keep it, or put a real comment on a line of its own",
                               label, yaml_quoted(node.value), *comment, yaml_quoted(whole)));
}

void read_prompt(NodeReader& reader, YamlNode const& node, JobFields& job, std::string const& label) {
    job.prompt.present = true;
    job.prompt.mark = node.mark;
    if (node.kind == NodeKind::null) {
        return; // an empty prompt is reported when the job is merged, with the defaults in view
    }
    auto prompt = reader.text(node, label + "prompt");
    if (!prompt) {
        mark_failed(job, job.prompt);
        return;
    }
    warn_if_cut_by_comment(reader, node, label);
    std::size_t const characters = util::count_code_points(*prompt);
    if (characters > k_max_prompt_characters) {
        reader.error(node.mark, fmt::format("{}prompt has {} characters; the limit is {}", label, characters,
                                            k_max_prompt_characters));
        mark_failed(job, job.prompt);
        return;
    }
    if (std::all_of(prompt->begin(), prompt->end(), [](unsigned char c) { return std::isspace(c) != 0; })) {
        return; // blank counts as missing
    }
    job.prompt.value = std::move(prompt);
}

void read_model(NodeReader& reader, YamlNode const& node, JobFields& job, std::string const& label) {
    job.model.present = true;
    job.model.mark = node.mark;
    auto model = reader.text(node, label + "model");
    if (!model) {
        mark_failed(job, job.model);
        return;
    }
    if (*model != k_default_model) {
        reader.error(node.mark, fmt::format("{}model '{}' is not offered for video edits; use {} (or leave model "
                                            "out)",
                                            label, *model, k_default_model));
        mark_failed(job, job.model);
        return;
    }
    job.model.value = std::move(*model);
}

void read_video(NodeReader& reader, YamlNode const& node, bool is_list, JobFields& job, std::string const& label) {
    if (job.video_url.present) {
        reader.error(node.mark, fmt::format("{}give either `video` or `video_urls`, not both", label));
        job.invalid = true;
        return;
    }
    job.video_url.present = true;
    job.video_url.mark = node.mark;
    std::optional<std::pair<std::string, Mark>> url;
    if (is_list) {
        auto list = reader.text_list(node, label + "video_urls");
        if (list && list->size() == 1) {
            url = std::move(list->front());
        } else if (list && list->empty()) {
            reader.error(node.mark, fmt::format("{}video_urls is empty; give exactly one video URL", label));
        } else if (list) {
            reader.error((*list)[1].second,
                         fmt::format("{}video_urls has {} URLs; the API edits exactly one video per job: make one "
                                     "job per video (a `videos:` list does that)",
                                     label, list->size()));
        }
    } else if (auto text = reader.text(node, label + "video")) {
        url.emplace(std::move(*text), node.mark);
    }
    if (!url) {
        mark_failed(job, job.video_url);
        return;
    }
    job.video_url.value = check_video_url(reader, std::move(url->first), url->second, label);
    if (!job.video_url.value) {
        mark_failed(job, job.video_url);
    }
}

void read_images(NodeReader& reader, YamlNode const& node, JobFields& job, std::string const& label) {
    job.image_urls.present = true;
    job.image_urls.mark = node.mark;
    if (node.kind == NodeKind::null) {
        return;
    }
    auto list = reader.text_list(node, label + "image_urls");
    if (!list) {
        mark_failed(job, job.image_urls);
        return;
    }
    if (list->empty()) {
        reader.error(node.mark, fmt::format("{}image_urls is empty; give 1 to {} reference images or leave it out",
                                            label, k_max_image_urls));
        mark_failed(job, job.image_urls);
        return;
    }
    if (list->size() > k_max_image_urls) {
        reader.error((*list)[k_max_image_urls].second,
                     fmt::format("{}image_urls has {} URLs; the limit is {}", label, list->size(), k_max_image_urls));
        mark_failed(job, job.image_urls);
    }
    std::vector<std::string> urls;
    for (auto& [url, at] : *list) {
        if (auto problem = check_media_url(url, k_image_extensions)) {
            reader.error(at, fmt::format("{}image URL {}", label, *problem));
            mark_failed(job, job.image_urls);
            continue;
        }
        warn_if_unreachable(reader, url, at, label);
        urls.push_back(std::move(url));
    }
    if (!job.image_urls.failed) {
        job.image_urls.value = std::move(urls);
    }
}

void read_callback(NodeReader& reader, YamlNode const& node, JobFields& job, std::string const& label) {
    job.callback_url.present = true;
    job.callback_url.mark = node.mark;
    if (node.kind == NodeKind::null) {
        return;
    }
    auto url = reader.text(node, label + "callback_url");
    if (url) {
        if (auto problem = check_callback_url(*url)) {
            reader.error(node.mark, fmt::format("{}callback_url {}", label, *problem));
            url.reset();
        }
    }
    job.callback_url.value = std::move(url);
    if (!job.callback_url.value) {
        mark_failed(job, job.callback_url);
    }
}

void read_sound(NodeReader& reader, YamlNode const& node, JobFields& job, std::string const& label) {
    job.keep_original_sound.present = true;
    job.keep_original_sound.mark = node.mark;
    if (node.kind == NodeKind::null) {
        return;
    }
    job.keep_original_sound.value = reader.boolean(node, label + "keep_original_sound");
    if (!job.keep_original_sound.value) {
        mark_failed(job, job.keep_original_sound);
    }
}

template <class T>
Field<T> const& pick(Field<T> const& own, Field<T> const& fallback) {
    return own.present ? own : fallback;
}

} // namespace

bool is_valid_id(std::string_view id) noexcept {
    return !id.empty() && id.size() <= k_max_id_length &&
           std::all_of(id.begin(), id.end(), [](unsigned char c) { return is_id_char(c); });
}

std::string id_from_stem(std::string_view stem) {
    std::string id;
    id.reserve(stem.size());
    for (std::size_t i = 0; i < stem.size() && id.size() < k_max_id_length; ++i) {
        auto const c = static_cast<unsigned char>(stem[i]);
        if ((c & 0xC0U) == 0x80U) {
            continue; // one '_' per character, not per byte
        }
        id.push_back(is_id_char(c) ? static_cast<char>(c) : '_');
    }
    return id;
}

std::optional<std::string> check_video_url(NodeReader& reader, std::string url, Mark at, std::string const& label) {
    if (auto problem = check_media_url(url, k_video_extensions)) {
        reader.error(at, fmt::format("{}video URL {}", label, *problem));
        return std::nullopt;
    }
    warn_if_unreachable(reader, url, at, label);
    return url;
}

JobFields read_job_fields(NodeReader& reader, YamlNode const& node, std::string const& label, bool is_defaults) {
    JobFields job;
    job.mark = node.mark;
    std::string const what = is_defaults ? std::string("defaults") : label.substr(0, label.size() - 2);
    std::span<std::string_view const> keys(k_job_keys);
    if (is_defaults) {
        keys = keys.subspan(1); // no `id` in defaults: ids are per job
    }
    if (!reader.check_mapping(node, what, keys, [&](std::string_view key) -> std::optional<std::string> {
            if (is_defaults && key == "id") {
                return "ids belong to each job, not to defaults";
            }
            return std::nullopt;
        })) {
        job.invalid = true;
        return job;
    }
    for (std::size_t i = 0; i < node.size(); ++i) {
        std::string_view const key = node.key(i).value;
        YamlNode const& value = node.value_at(i);
        if (key == "id" && !is_defaults) {
            read_id(reader, value, job, label);
        } else if (key == "model") {
            read_model(reader, value, job, label);
        } else if (key == "prompt") {
            read_prompt(reader, value, job, label);
        } else if (key == "video" || key == "video_urls") {
            read_video(reader, value, key == "video_urls", job, label);
        } else if (key == "image_urls") {
            read_images(reader, value, job, label);
        } else if (key == "keep_original_sound") {
            read_sound(reader, value, job, label);
        } else if (key == "callback_url") {
            read_callback(reader, value, job, label);
        }
    }
    return job;
}

std::optional<Job> merge_job(NodeReader& reader, JobFields const& defaults, JobFields&& job, std::string const& label) {
    auto const& prompt = pick(job.prompt, defaults.prompt);
    auto const& video = pick(job.video_url, defaults.video_url);
    bool ok = !job.invalid;
    if (!prompt.value && !prompt.failed) {
        reader.error(prompt.present ? prompt.mark : job.mark,
                     fmt::format("{}{}; say how to edit the video (1 to {} characters) in the job or in `defaults:`",
                                 label, prompt.present ? "prompt is empty" : "has no prompt", k_max_prompt_characters));
        ok = false;
    }
    if (!video.value && !video.failed) {
        reader.error(video.present ? video.mark : job.mark,
                     fmt::format("{}has no video; add `video: URL` (one .mp4 or .mov)", label));
        ok = false;
    }
    if (!ok || !prompt.value || !video.value) {
        return std::nullopt;
    }
    Job out;
    out.id = job.id.value.value_or(std::string());
    auto const& model = pick(job.model, defaults.model);
    out.model = model.value.value_or(k_default_model);
    out.prompt = *prompt.value;
    out.video_url = *video.value;
    if (auto const& images = pick(job.image_urls, defaults.image_urls); images.value) {
        out.image_urls = *images.value;
    }
    out.keep_original_sound = pick(job.keep_original_sound, defaults.keep_original_sound).value;
    out.callback_url = pick(job.callback_url, defaults.callback_url).value;
    return out;
}

} // namespace evobatch::manifest::detail
