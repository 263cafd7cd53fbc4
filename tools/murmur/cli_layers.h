// Parses a CLI11 app from flag > environment (MURMUR_*) > config file (--config) > default.
// tools/ is the only place that reads flags, environment and config files.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace murmur::tools {

// Sets the last-value-wins policy and adds --config; call before adding any option.
void configureApp(CLI::App& app);

// Parses `args` (without the program and subcommand names) with the layers applied.
// Throws CLI::ParseError (print with app.exit) or runtime::Error(kInvalidArgument).
void parseLayered(CLI::App& app, const std::vector<std::string>& args);

}  // namespace murmur::tools
