#include "common/httpserver/metrics_handler.h"

#include <gtest/gtest.h>
#include <prometheus/counter.h>

namespace edgerepl::httpserver {
namespace {

TEST(ServeMetrics, TextFormatWithContentType) {
  prometheus::Registry registry;
  auto& family = prometheus::BuildCounter()
                     .Name("edgerepl_test_events_total")
                     .Help("Events seen by the test.")
                     .Register(registry);
  family.Add({{"kind", "a"}}).Increment(3);
  Response r = ServeMetrics(registry);
  EXPECT_EQ(r.status, 200);
  ASSERT_NE(http::FindHeader(r.headers, "content-type"), nullptr);
  EXPECT_EQ(*http::FindHeader(r.headers, "content-type"), kPrometheusTextContentType);
  EXPECT_NE(r.body.find("# TYPE edgerepl_test_events_total counter"), std::string::npos);
  EXPECT_NE(r.body.find("edgerepl_test_events_total{kind=\"a\"} 3"), std::string::npos);
}

}  // namespace
}  // namespace edgerepl::httpserver
