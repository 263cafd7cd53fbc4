// Layered configuration: flag > environment (MURMUR_*) > config file > default.
// Libraries never read these; tools/ turns the layers into one argument list for its parser,
// which keeps the last value given for an option.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace murmur::runtime {

// One option the tool knows, by long name without dashes ("summary-json").
struct ConfigOption {
  std::string name;
  bool isFlag = false;  // takes no value: true/false in files and environment
};

using ConfigValues = std::vector<std::pair<std::string, std::string>>;

// Reads a config file: a JSON object ({"peers": 4, "lr": 0.05, "no-momentum": true}) when the
// file starts with '{', otherwise TOML-style `key = value` lines with '#' comments and optional
// quotes. Throws Error(kInvalidArgument) naming the file and line for anything else.
ConfigValues parseConfigFile(const std::string& path);

// Same, from text; `origin` names it in errors.
ConfigValues parseConfigText(std::string_view text, std::string_view origin);

// "summary-json" → "MURMUR_SUMMARY_JSON".
std::string envNameFor(std::string_view option);

// Builds the argument list a parser sees: for every option not on the command line, `--name value`
// from the environment if set there, else from the file; then the command line itself. So flag >
// env > file > default, and an overridden value is never parsed or validated. Keys in the file
// that name no option are an error (a typo must not be silently ignored). `getenv` is injected so
// tests need no process environment.
std::vector<std::string> layerArguments(
    const std::vector<ConfigOption>& options,
    const ConfigValues& fileValues,
    const std::function<std::optional<std::string>(const std::string&)>& getenv,
    const std::vector<std::string>& commandLine);

}  // namespace murmur::runtime
