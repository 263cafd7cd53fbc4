#include "tools/murmur/cli_layers.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "runtime/config.h"
#include "runtime/error.h"
#include "tools/murmur/commands.h"

namespace murmur::tools {

void configureApp(CLI::App& app) {
  // The layers arrive as repeated options: the last one given wins.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--config",
                 "Config file (JSON object or `key = value` lines) giving defaults "
                 "for any option; precedence: flag > MURMUR_* env > file > default")
      ->check(CLI::ExistingFile);
  app.footer(
      "Every option can also be set in the environment as MURMUR_<NAME> (e.g. MURMUR_LR=0.1) or "
      "in the --config file (e.g. lr = 0.1).");
}

void parseLayered(CLI::App& app, const std::vector<std::string>& args) {
  std::vector<runtime::ConfigOption> options;
  for (const CLI::Option* option : app.get_options()) {
    for (const std::string& longName : option->get_lnames()) {
      if (longName != "help" && longName != "config") {
        options.push_back(runtime::ConfigOption{longName, option->get_expected_max() == 0});
      }
    }
  }
  std::string configPath;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--config" && i + 1 < args.size()) {
      configPath = args[i + 1];
    } else if (args[i].rfind("--config=", 0) == 0) {
      configPath = args[i].substr(9);
    }
  }
  if (configPath.empty()) {
    if (const char* env = std::getenv("MURMUR_CONFIG")) {
      configPath = env;
    }
  }
  runtime::ConfigValues fileValues;
  if (!configPath.empty()) {
    fileValues = runtime::parseConfigFile(configPath);
  }
  auto getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    return value == nullptr ? std::nullopt : std::optional<std::string>(value);
  };
  std::vector<std::string> layered = runtime::layerArguments(options, fileValues, getenv, args);
  std::reverse(layered.begin(), layered.end());  // CLI11 takes the vector reversed
  app.parse(layered);
}

std::optional<int> parseCommandLine(CLI::App& app, const std::vector<std::string>& args) {
  try {
    parseLayered(app, args);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  } catch (const runtime::Error& e) {
    std::fprintf(stderr, "%s: %s\n", app.get_name().c_str(), e.what());
    return kExitUsage;
  }
  return std::nullopt;
}

}  // namespace murmur::tools
