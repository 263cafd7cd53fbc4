// Parses a CLI11 app from flag > environment (MURMUR_*) > config file (--config) > default.
// tools/ is the only place that reads flags, environment and config files.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace murmur::tools {

// Sets the last-value-wins policy and adds --config; call before adding any option.
void configureApp(CLI::App& app);

// Parses `args` (without the program and subcommand names) with the layers applied.
// Throws CLI::ParseError (print with app.exit) or runtime::Error(kInvalidArgument).
void parseLayered(CLI::App& app, const std::vector<std::string>& args);

// parseLayered for a subcommand's entry point: prints help or the problem (prefixed with the
// app's name) and returns the exit code when the command must stop here (0 for --help, 2 for bad
// usage), nullopt when it should run.
std::optional<int> parseCommandLine(CLI::App& app, const std::vector<std::string>& args);

}  // namespace murmur::tools
