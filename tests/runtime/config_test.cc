#include "runtime/config.h"

#include <algorithm>
#include <map>

#include <gtest/gtest.h>

#include "runtime/error.h"

namespace murmur::runtime {
namespace {

const std::vector<ConfigOption> kOptions = {
    {"peers", false}, {"lr", false}, {"no-momentum", true}, {"summary-json", false}};

std::vector<std::string> layer(const ConfigValues& file,
                               std::map<std::string, std::string> env,
                               const std::vector<std::string>& cli) {
  return layerArguments(
      kOptions,
      file,
      [&](const std::string& name) -> std::optional<std::string> {
        auto it = env.find(name);
        return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
      },
      cli);
}

// What a last-value-wins parser ends up with.
std::string lastValue(const std::vector<std::string>& args, const std::string& option) {
  std::string value;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--" + option && i + 1 < args.size()) {
      value = args[i + 1];
    } else if (args[i].rfind("--" + option + "=", 0) == 0) {
      value = args[i].substr(option.size() + 3);
    }
  }
  return value;
}

TEST(Config, FlagBeatsEnvironmentBeatsFileBeatsDefault) {
  ConfigValues file = {{"lr", "0.1"}, {"peers", "file.txt"}, {"summary-json", "f.json"}};
  auto args = layer(file, {{"MURMUR_LR", "0.2"}, {"MURMUR_PEERS", "env.txt"}}, {"--lr", "0.3"});
  EXPECT_EQ(lastValue(args, "lr"), "0.3");
  EXPECT_EQ(lastValue(args, "peers"), "env.txt");
  EXPECT_EQ(lastValue(args, "summary-json"), "f.json");
  EXPECT_EQ(lastValue(args, "no-momentum"), "");  // default
  // Overridden values are not passed on at all (a parser would validate them).
  EXPECT_EQ(std::count(args.begin(), args.end(), "--lr"), 1);
  EXPECT_EQ(std::find(args.begin(), args.end(), "file.txt"), args.end());
}

TEST(Config, FlagsTakeBooleansFromFileAndEnvironment) {
  auto args = layer({{"no-momentum", "yes"}}, {}, {});
  EXPECT_EQ(lastValue(args, "no-momentum"), "true");
  args = layer({{"no-momentum", "true"}}, {{"MURMUR_NO_MOMENTUM", "0"}}, {});
  EXPECT_EQ(lastValue(args, "no-momentum"), "false");
  EXPECT_THROW(layer({{"no-momentum", "maybe"}}, {}, {}), Error);
}

TEST(Config, UnknownFileKeysAreErrors) {
  try {
    layer({{"lrr", "0.1"}}, {}, {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("lrr"), std::string::npos);
  }
}

TEST(Config, ParsesJsonAndKeyValueFiles) {
  ConfigValues json = parseConfigText(R"({"lr": 0.05, "peers": 4, "no-momentum": true})", "x");
  ASSERT_EQ(json.size(), 3U);
  EXPECT_EQ(json[0].first, "lr");
  EXPECT_EQ(json[0].second, "0.05");
  ConfigValues toml = parseConfigText("# comment\nlr = 0.05\npeers = \"a.txt\"  # why\n", "x");
  ASSERT_EQ(toml.size(), 2U);
  EXPECT_EQ(toml[1].second, "a.txt");
  EXPECT_THROW(parseConfigText("lr 0.05\n", "run.toml"), Error);
  EXPECT_THROW(parseConfigText("{\"lr\": ", "run.json"), Error);
  EXPECT_THROW(parseConfigFile("/nonexistent/run.toml"), Error);
}

TEST(Config, EnvironmentNames) {
  EXPECT_EQ(envNameFor("summary-json"), "MURMUR_SUMMARY_JSON");
  EXPECT_EQ(envNameFor("peers"), "MURMUR_PEERS");
}

}  // namespace
}  // namespace murmur::runtime
