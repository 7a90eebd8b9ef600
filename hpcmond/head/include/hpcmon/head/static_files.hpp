// The dashboard's static files (webui/, assembled into <prefix>/share/hpcmon/webui) served by
// the head daemon on the API's port: `/` is index.html, `/ui/<file>` the page's assets.
// Owns: the mapping of a URL to a file under one folder, content types, caching headers and
// the page's Content-Security-Policy.
// Never: serves a path outside the folder (no "..", no hidden names, no symlinks, regular
// files only), a file type it does not know, or anything that needs credentials (the page is
// public; its data comes from the API, which checks access itself).
#pragma once

#include <filesystem>
#include <string>

#include "hpcmon/head/http.hpp"

namespace hpcmon::head {

// The folder used when api.webui_dir is empty: share/hpcmon/webui next to the program's own
// bin/ or sbin/ folder (build tree: <build>/bin/hpcmond -> <build>/share/hpcmon/webui).
std::filesystem::path default_webui_dir();

// True for the paths the static routes own ("/", "/index.html", "/ui/..."): the access guard
// lets them through without credentials.
bool is_static_path(const std::string& path);

// Content type for a file name by its extension; empty for types never served.
std::string static_content_type(const std::string& name);

// Registers GET / , /index.html and /ui/... serving files from `dir`.
void register_static_routes(Router& router, const std::filesystem::path& dir);

}  // namespace hpcmon::head
