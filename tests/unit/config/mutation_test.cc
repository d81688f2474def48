// The config is untrusted input: random damage to a valid file must give errors (never a crash
// or an exception), and whatever still parses must survive a render/parse round trip.
#include <gtest/gtest.h>

#include <random>

#include "common/config/parse.h"
#include "common/config/render.h"

namespace edgerepl::config {
namespace {

const char kSeed[] = R"(listen: ":8186"
durability: interval
syncInterval: 20ms
remotes:
  - {name: cloud, url: "https://h:443/p", orgID: o, token: "t:k\"n"}
  - {name: v1, url: "http://g", protocol: v1}
replications:
  - id: a
    name: a
    remote: cloud
    localBucket: b
    remoteBucket: c
    measurements: [cpu, "m m"]
    selector:
      matchLabels: {app: x}
      matchExpressions: [{key: z, operator: NotIn, values: [q]}]
    batch: {maxBytes: 1000, maxPoints: 10}
    backoff: {min: 1s, max: 1h30m}
  - {id: b, name: b, remote: v1, localBucket: db/rp, remoteBucket: db, maxAgeSeconds: 0}
)";

TEST(ConfigMutationTest, DamagedFilesNeverCrashAndValidOnesRoundTrip) {
  std::mt19937 rng(20261124);
  const std::string alphabet = " :-[]{},\"'\n#&*!|>%@`0123456789abcxyzé\t";
  ParseOptions options;
  options.read_file = [](const std::string&) -> Result<std::string> { return std::string("t"); };
  int parsed = 0;
  for (int i = 0; i < 1500; ++i) {
    std::string text = kSeed;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % text.size();
      switch (rng() % 3) {
        case 0:
          text[pos] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          text.erase(pos, 1 + rng() % 8);
          break;
        default:
          text.insert(pos, 1, alphabet[rng() % alphabet.size()]);
      }
    }
    ParseOutput out = ParseConfigDetailed(text, options);
    if (!out.ok()) {
      for (const std::string& err : out.errors) ASSERT_FALSE(err.empty()) << text;
      continue;
    }
    ++parsed;
    Result<Config> back = ParseConfig(Render(out.config), options);
    ASSERT_TRUE(back.ok()) << back.status().ToString() << "\n--- input:\n" << text;
    EXPECT_EQ(*back, out.config) << text;
  }
  // The damage is mild enough that some inputs stay valid, so the round trip is exercised.
  EXPECT_GT(parsed, 10);
}

}  // namespace
}  // namespace edgerepl::config
