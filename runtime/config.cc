#include "runtime/config.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>

#include "runtime/error.h"

#include <nlohmann/json.hpp>

namespace murmur::runtime {
namespace {

std::string trim(std::string_view text) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) {
    ++begin;
  }
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) {
    --end;
  }
  return std::string(text.substr(begin, end - begin));
}

std::string jsonToText(const nlohmann::json& value, std::string_view key, std::string_view origin) {
  if (value.is_string()) {
    return value.get<std::string>();
  }
  if (value.is_boolean()) {
    return value.get<bool>() ? "true" : "false";
  }
  if (value.is_number()) {
    return value.dump();
  }
  if (value.is_array()) {
    std::string joined;
    for (const auto& item : value) {
      if (!joined.empty()) {
        joined += ',';
      }
      joined += jsonToText(item, key, origin);
    }
    return joined;
  }
  MURMUR_THROW(kInvalidArgument,
               origin,
               ": value of '",
               key,
               "' must be a string, number, boolean or array");
}

ConfigValues parseJson(std::string_view text, std::string_view origin) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    MURMUR_THROW(kInvalidArgument, origin, ": not valid JSON: ", e.what());
  }
  if (!doc.is_object()) {
    MURMUR_THROW(kInvalidArgument, origin, ": expected a JSON object of option names to values");
  }
  ConfigValues values;
  for (const auto& [key, value] : doc.items()) {
    values.emplace_back(key, jsonToText(value, key, origin));
  }
  return values;
}

ConfigValues parseKeyValueLines(std::string_view text, std::string_view origin) {
  ConfigValues values;
  std::istringstream in{std::string(text)};
  std::string line;
  int lineNumber = 0;
  while (std::getline(in, line)) {
    ++lineNumber;
    std::size_t hash = line.find('#');
    std::string content = trim(hash == std::string::npos ? line : line.substr(0, hash));
    if (content.empty()) {
      continue;
    }
    std::size_t eq = content.find('=');
    if (eq == std::string::npos) {
      MURMUR_THROW(kInvalidArgument,
                   origin,
                   ":",
                   lineNumber,
                   ": expected `key = value`, got '",
                   content,
                   "'");
    }
    std::string key = trim(content.substr(0, eq));
    std::string value = trim(content.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    if (key.empty()) {
      MURMUR_THROW(kInvalidArgument, origin, ":", lineNumber, ": empty key");
    }
    values.emplace_back(std::move(key), std::move(value));
  }
  return values;
}

bool parseBool(const std::string& text, std::string_view what) {
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  if (lower == "1" || lower == "true" || lower == "yes" || lower == "on") {
    return true;
  }
  if (lower == "0" || lower == "false" || lower == "no" || lower == "off" || lower.empty()) {
    return false;
  }
  MURMUR_THROW(kInvalidArgument, what, ": expected true or false, got '", text, "'");
}

void appendOption(const ConfigOption& option,
                  const std::string& value,
                  std::string_view what,
                  std::vector<std::string>& out) {
  if (option.isFlag) {
    out.push_back("--" + option.name + "=" + (parseBool(value, what) ? "true" : "false"));
  } else {
    out.push_back("--" + option.name);
    out.push_back(value);
  }
}

}  // namespace

ConfigValues parseConfigText(std::string_view text, std::string_view origin) {
  std::string body = trim(text);
  if (!body.empty() && body.front() == '{') {
    return parseJson(body, origin);
  }
  return parseKeyValueLines(text, origin);
}

ConfigValues parseConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    MURMUR_THROW(kInvalidArgument, "cannot read config file '", path, "'");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parseConfigText(text.str(), path);
}

std::string envNameFor(std::string_view option) {
  std::string name = "MURMUR_";
  for (char c : option) {
    name.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return name;
}

std::vector<std::string> layerArguments(
    const std::vector<ConfigOption>& options,
    const ConfigValues& fileValues,
    const std::function<std::optional<std::string>(const std::string&)>& getenv,
    const std::vector<std::string>& commandLine) {
  auto onCommandLine = [&](const std::string& name) {
    const std::string flag = "--" + name;
    for (const std::string& arg : commandLine) {
      if (arg == flag || arg.rfind(flag + "=", 0) == 0) {
        return true;
      }
    }
    return false;
  };
  std::map<std::string, std::string> fromFile;
  for (const auto& [key, value] : fileValues) {
    bool known = std::any_of(options.begin(), options.end(), [&](const ConfigOption& option) {
      return option.name == key;
    });
    if (!known) {
      MURMUR_THROW(kInvalidArgument, "config file sets unknown option '", key, "'");
    }
    fromFile[key] = value;
  }
  // Each option comes from one layer only, the highest that sets it, so that a value a higher
  // layer overrides is never even validated.
  std::vector<std::string> out;
  for (const ConfigOption& option : options) {
    if (onCommandLine(option.name)) {
      continue;
    }
    const std::string env = envNameFor(option.name);
    if (std::optional<std::string> value = getenv(env)) {
      appendOption(option, *value, "environment variable " + env, out);
    } else if (auto it = fromFile.find(option.name); it != fromFile.end()) {
      appendOption(option, it->second, "config file option '" + option.name + "'", out);
    }
  }
  out.insert(out.end(), commandLine.begin(), commandLine.end());
  return out;
}

}  // namespace murmur::runtime
