// The InfluxQL reader against a scripted local /query. The answers are influxd 1.6.7's own, as it
// gives them for the statements the reader sends (captured with max-row-limit = 2 for the cut
// ones); the error answers are the forms influxd, or a proxy before it, gives.
#include "agent/backfill/influxql_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace edgerepl::backfill {
namespace {

// The form body's q, percent-decoded.
std::string Statements(const http::HttpRequest& req) {
  EXPECT_EQ(req.body.rfind("q=", 0), 0u) << req.body;
  std::string out;
  for (size_t i = 2; i < req.body.size(); ++i) {
    if (req.body[i] == '%' && i + 2 < req.body.size()) {
      out.push_back(static_cast<char>(std::stoi(req.body.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(req.body[i]);
    }
  }
  return out;
}

// Answers each statement list from a table; an unknown one fails the test.
class ScriptedLocal final : public http::HttpClient {
 public:
  void On(const std::string& statements, int status, std::string body) {
    answers_[statements] = http::HttpResponse{status, {}, std::move(body)};
  }
  void Fail(const std::string& statements, Status st) { failures_.emplace(statements, st); }

  Result<http::HttpResponse> Send(const http::HttpRequest& req) override {
    requests.push_back(req);
    std::string q = Statements(req);
    statements.push_back(q);
    if (auto f = failures_.find(q); f != failures_.end()) return f->second;
    auto it = answers_.find(q);
    if (it == answers_.end()) {
      ADD_FAILURE() << "unexpected statements: " << q;
      return http::HttpResponse{500, {}, "unexpected"};
    }
    return it->second;
  }

  std::vector<http::HttpRequest> requests;
  std::vector<std::string> statements;

 private:
  std::map<std::string, http::HttpResponse> answers_;
  std::map<std::string, Status> failures_;
};

const char* kShowMeasurements = "SHOW MEASUREMENTS";
const char* kCpuFields = "SHOW FIELD KEYS FROM \"cpu\"";
const char* kMemFields = "SHOW FIELD KEYS FROM \"mem\"";

std::string Select(const std::string& m, int64_t from, int64_t to) {
  return "SELECT * FROM \"" + m + "\" WHERE time >= " + std::to_string(from) + " AND time < " +
         std::to_string(to) + " GROUP BY *";
}
std::string SelectBoth(int64_t from, int64_t to) {
  return Select("cpu", from, to) + "; " + Select("mem", from, to);
}

constexpr const char* kMeasurementsAnswer =
    R"({"results":[{"statement_id":0,"series":[{"name":"measurements","columns":["name"],"values":[["cpu"],["mem"]]}]}]})";
constexpr const char* kCpuFieldsAnswer =
    R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["fieldKey","fieldType"],"values":[["count","integer"],["s","string"],["usage","float"]]}]}]})";
constexpr const char* kMemFieldsAnswer =
    R"({"results":[{"statement_id":0,"series":[{"name":"mem","columns":["fieldKey","fieldType"],"values":[["free","integer"],["ok","boolean"]]}]}]})";
// Both measurements over [-10, 3000).
constexpr const char* kWindowAnswer =
    R"({"results":[{"statement_id":0,"series":[)"
    R"({"name":"cpu","tags":{"dc":"","host":"b"},"columns":["time","count","s","usage"],"values":[[1500,null,"q\"x",1],[1600,null,null,2],[1700,null,null,3]]},)"
    R"({"name":"cpu","tags":{"dc":"x","host":"a"},"columns":["time","count","s","usage"],"values":[[1000,3,null,0.5],[2000,null,null,0.25]]}]},)"
    R"({"statement_id":1,"series":[{"name":"mem","tags":{"host":"a"},"columns":["time","free","ok"],"values":[[-5,7,true]]}]}]})";
constexpr const char* kWindowLines =
    "cpu,host=b s=\"q\\\"x\",usage=1 1500\n"
    "cpu,host=b usage=2 1600\n"
    "cpu,host=b usage=3 1700\n"
    "cpu,dc=x,host=a count=3i,usage=0.5 1000\n"
    "cpu,dc=x,host=a usage=0.25 2000\n"
    "mem,host=a free=7i,ok=true -5\n";

class BackfillInfluxqlReaderTest : public ::testing::Test {
 protected:
  void Schema() {
    local_.On(kShowMeasurements, 200, kMeasurementsAnswer);
    local_.On(kCpuFields, 200, kCpuFieldsAnswer);
    local_.On(kMemFields, 200, kMemFieldsAnswer);
  }
  InfluxqlReader Reader(InfluxqlSource source = {"db", "", {}}) {
    return InfluxqlReader(local_, std::move(source));
  }

  ScriptedLocal local_;
};

TEST_F(BackfillInfluxqlReaderTest, AWindowOfEveryMeasurementComesBackAsLineProtocol) {
  Schema();
  local_.On(SelectBoth(-10, 3000), 200, kWindowAnswer);
  InfluxqlReader reader = Reader();
  Result<WindowData> w = reader.Read(-10, 3000);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->lines, kWindowLines);
  EXPECT_EQ(w->points, 6u);
  EXPECT_FALSE(w->partial);
  EXPECT_TRUE(reader.conflicts().empty());

  ASSERT_FALSE(local_.requests.empty());
  const http::HttpRequest& req = local_.requests.back();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/query?db=db&epoch=ns");
  EXPECT_NE(http::FindHeader(req.headers, "content-type"), nullptr);
  EXPECT_EQ(*http::FindHeader(req.headers, "content-type"), "application/x-www-form-urlencoded");
}

TEST_F(BackfillInfluxqlReaderTest, TheSchemaIsReadOnceAndEachWindowIsOneRequest) {
  Schema();
  local_.On(SelectBoth(-10, 3000), 200, kWindowAnswer);
  local_.On(SelectBoth(3000, 4000), 200, R"({"results":[{"statement_id":0},{"statement_id":1}]})");
  InfluxqlReader reader = Reader();
  ASSERT_TRUE(reader.Read(-10, 3000).ok());
  Result<WindowData> empty = reader.Read(3000, 4000);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(empty->points, 0u);
  EXPECT_EQ(empty->lines, "");
  EXPECT_EQ(local_.statements,
            (std::vector<std::string>{kShowMeasurements, SelectBoth(-10, 3000), kCpuFields,
                                      kMemFields, SelectBoth(3000, 4000)}));
}

TEST_F(BackfillInfluxqlReaderTest, NamedMeasurementsInARetentionPolicyAreQuotedAndNotListed) {
  const std::string from = "\"my \\\"rp\\\\\".\"cpu\"";
  local_.On("SHOW FIELD KEYS FROM " + from, 200, kCpuFieldsAnswer);
  local_.On(
      "SELECT * FROM " + from + " WHERE time >= 0 AND time < 10 GROUP BY *", 200,
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","count","s","usage"],"values":[[5,1,"x",null]]}]}]})");
  InfluxqlReader reader = Reader({"my db&x", "my \"rp\\", {"cpu"}});
  Result<WindowData> w = reader.Read(0, 10);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->lines, "cpu count=1i,s=\"x\" 5\n");
  EXPECT_EQ(local_.requests.front().target, "/query?db=my%20db%26x&epoch=ns");
}

TEST_F(BackfillInfluxqlReaderTest, AnEmptyDatabaseReadsNothingAndSendsNoSelect) {
  local_.On(kShowMeasurements, 200, R"({"results":[{"statement_id":0}]})");
  InfluxqlReader reader = Reader();
  Result<WindowData> w = reader.Read(0, 10);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->points, 0u);
  EXPECT_EQ(local_.statements, (std::vector<std::string>{kShowMeasurements}));
}

TEST_F(BackfillInfluxqlReaderTest, ASeriesCutByTheRowLimitIsPartial) {
  Schema();
  local_.On(
      SelectBoth(0, 3000), 200,
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"dc":"","host":"b"},"columns":["time","count","s","usage"],"values":[[1500,null,"q\"x",1],[1600,null,null,2]],"partial":true}]}]})");
  InfluxqlReader reader = Reader();
  Result<WindowData> w = reader.Read(0, 3000);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_TRUE(w->partial);
}

TEST_F(BackfillInfluxqlReaderTest, AResultCutByTheRowLimitIsPartial) {
  Schema();
  local_.On(
      SelectBoth(0, 3000), 200,
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"dc":"x","host":"a"},"columns":["time","count","s","usage"],"values":[[1000,3,null,0.5]]}],"partial":true},{"statement_id":1}]})");
  InfluxqlReader reader = Reader();
  Result<WindowData> w = reader.Read(0, 3000);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_TRUE(w->partial);
}

TEST_F(BackfillInfluxqlReaderTest, AStatementLeftOutByTheRowLimitIsPartial) {
  // influxd 1.6.7 with max-row-limit = 2, the first statement holding exactly 2 rows: the second
  // statement's result is simply absent, and nothing says partial.
  Schema();
  local_.On(
      SelectBoth(-10, 1501), 200,
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","tags":{"dc":"","host":"b"},"columns":["time","count","s","usage"],"values":[[1500,null,"q\"x",1]]},{"name":"cpu","tags":{"dc":"x","host":"a"},"columns":["time","count","s","usage"],"values":[[1000,3,null,0.5]]}]}]})");
  InfluxqlReader reader = Reader();
  Result<WindowData> w = reader.Read(-10, 1501);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_TRUE(w->partial) << "mem's point at -5 would be skipped for good";
}

TEST_F(BackfillInfluxqlReaderTest, ASchemaListCutByTheRowLimitIsAnError) {
  // A measurement or field left out of a cut SHOW answer would be skipped without a word.
  local_.On(
      kShowMeasurements, 200,
      R"({"results":[{"statement_id":0,"series":[{"name":"measurements","columns":["name"],"values":[["cpu"],["mem"]],"partial":true}]}]})");
  InfluxqlReader reader = Reader();
  Result<WindowData> w = reader.Read(0, 10);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(w.status().message().find("max-row-limit"), std::string::npos) << w.status().ToString();

  ScriptedLocal& local = local_;
  local.On(
      kCpuFields, 200,
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["fieldKey","fieldType"],"values":[["count","integer"],["s","string"]],"partial":true}]}]})");
  local.On(
      Select("cpu", 0, 10), 200,
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","count","s","usage"],"values":[[5,1,"x",2]]}]}]})");
  InfluxqlReader named = Reader({"db", "", {"cpu"}});
  w = named.Read(0, 10);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("max-row-limit"), std::string::npos) << w.status().ToString();
}

TEST_F(BackfillInfluxqlReaderTest, ErrorAnswersAreErrorsCarryingInfluxdsMessage) {
  struct Case {
    const char* name;
    int status;
    std::string body;
    StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"a statement's error", 200,
       R"({"results":[{"statement_id":0,"error":"database not found: db"}]})",
       StatusCode::kUnavailable, "local query: database not found: db"},
      {"a refused query", 400, R"({"error":"error parsing query: found SELEC, expected SELECT"})",
       StatusCode::kUnavailable,
       "local query answered 400: error parsing query: found SELEC, expected SELECT"},
      {"authentication", 401, R"({"error":"unable to parse authentication credentials"})",
       StatusCode::kUnavailable,
       "the local database refused the backfill's query (HTTP 401): set local.token or "
       "local.tokenFile; it answered: unable to parse authentication credentials"},
      {"a proxy's 503", 503, "<html>Service Unavailable</html>", StatusCode::kUnavailable,
       "local query answered 503: <html>Service Unavailable</html>"},
      {"a long body is cut", 502, std::string(500, 'x'), StatusCode::kUnavailable,
       "local query answered 502: " + std::string(200, 'x')},
      {"malformed JSON", 200, R"({"results":[{"statement_id":0,)", StatusCode::kInternal,
       "local query: invalid JSON at byte 30: expected a member name"},
      {"no results", 200, "{}", StatusCode::kInternal, "local query: no results in the answer"},
  };
  for (const Case& c : cases) {
    ScriptedLocal local;
    local.On(kShowMeasurements, c.status, c.body);
    InfluxqlReader reader(local, {"db", "", {}});
    Result<WindowData> w = reader.Read(0, 10);
    ASSERT_FALSE(w.ok()) << c.name;
    EXPECT_EQ(w.status().code(), c.code) << c.name << ": " << w.status().ToString();
    EXPECT_EQ(w.status().message(), c.message) << c.name;
  }
}

TEST_F(BackfillInfluxqlReaderTest, AUserAndPasswordIsSentAsBasicAnyOtherTokenAsToken) {
  struct Case {
    std::string token;
    const char* authorization;  // nullptr: no header
  };
  const std::vector<Case> cases = {
      {"", nullptr},
      {"admin:password", "Basic YWRtaW46cGFzc3dvcmQ="},
      {"u:p:with:colons", "Basic dTpwOndpdGg6Y29sb25z"},
      {"Zm9vYmFyLXRva2VuLTJ4==", "Token Zm9vYmFyLXRva2VuLTJ4=="},
  };
  for (const Case& c : cases) {
    ScriptedLocal local;
    local.On(kShowMeasurements, 200, kMeasurementsAnswer);
    local.On(kCpuFields, 200, kCpuFieldsAnswer);
    local.On(kMemFields, 200, kMemFieldsAnswer);
    local.On(SelectBoth(-10, 3000), 200, kWindowAnswer);
    InfluxqlReader reader(local, {"db", "", {}}, c.token);
    Result<WindowData> w = reader.Read(-10, 3000);
    ASSERT_TRUE(w.ok()) << c.token << ": " << w.status().ToString();
    EXPECT_EQ(w->lines, kWindowLines);
    ASSERT_EQ(local.requests.size(), 4u) << c.token;
    for (const http::HttpRequest& req : local.requests) {  // the schema reads and the window
      const std::string* got = http::FindHeader(req.headers, "authorization");
      if (c.authorization == nullptr) {
        EXPECT_EQ(got, nullptr) << c.token;
      } else {
        ASSERT_NE(got, nullptr) << c.token;
        EXPECT_EQ(*got, c.authorization);
      }
      if (!c.token.empty()) {
        EXPECT_EQ(req.target.find(c.token), std::string::npos);
      }
    }
  }
}

TEST_F(BackfillInfluxqlReaderTest, ARefusedTokenIsNamedByItsSettingNeverShown) {
  const std::string token = "admin:s3cr3t-password";
  for (int status : {401, 403}) {
    ScriptedLocal local;
    local.On(kShowMeasurements, status, R"({"error":"authorization failed"})");
    InfluxqlReader reader(local, {"db", "", {}}, token);
    Result<WindowData> w = reader.Read(0, 10);
    ASSERT_FALSE(w.ok());
    EXPECT_EQ(w.status().code(), StatusCode::kUnavailable);
    EXPECT_EQ(w.status().message(),
              "the local database refused the backfill's query (HTTP " + std::to_string(status) +
                  "): check local.token or local.tokenFile (it must be allowed to read the "
                  "database); it answered: authorization failed");
    EXPECT_EQ(w.status().ToString().find("s3cr3t"), std::string::npos);
    EXPECT_EQ(w.status().ToString().find(LocalAuthorization(token).substr(6)), std::string::npos);
  }
  ScriptedLocal down;
  down.Fail(kShowMeasurements, Status::Unavailable("connect: connection refused"));
  InfluxqlReader reader(down, {"db", "", {}}, token);
  Result<WindowData> w = reader.Read(0, 10);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().ToString().find("s3cr3t"), std::string::npos);
}

TEST_F(BackfillInfluxqlReaderTest, AFailedWindowCanBeReadAgain) {
  Schema();
  local_.Fail(SelectBoth(-10, 3000), Status::Unavailable("connection refused"));
  InfluxqlReader reader = Reader();
  Result<WindowData> w = reader.Read(-10, 3000);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(w.status().message(), "local query: connection refused");

  ScriptedLocal again;
  again.On(kShowMeasurements, 500, R"({"error":"timeout"})");
  InfluxqlReader listing(again, {"db", "", {}});
  EXPECT_FALSE(listing.Read(0, 1).ok());
  again.On(kShowMeasurements, 200, R"({"results":[{"statement_id":0}]})");
  EXPECT_TRUE(listing.Read(0, 1).ok()) << "a failed listing is asked again";
}

TEST_F(BackfillInfluxqlReaderTest, AFieldWrittenAfterTheSchemaWasReadIsLookedUpAgain) {
  local_.On(
      kCpuFields, 200,
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["fieldKey","fieldType"],"values":[["usage","float"]]}]}]})");
  local_.On(
      Select("cpu", 0, 10), 200,
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","usage"],"values":[[1,1]]}]}]})");
  InfluxqlReader reader = Reader({"db", "", {"cpu"}});
  ASSERT_TRUE(reader.Read(0, 10).ok());
  local_.On(
      kCpuFields, 200,
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["fieldKey","fieldType"],"values":[["n","integer"],["usage","float"]]}]}]})");
  local_.On(
      Select("cpu", 10, 20), 200,
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","n","usage"],"values":[[11,4,2]]}]}]})");
  Result<WindowData> w = reader.Read(10, 20);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->lines, "cpu n=4i,usage=2 11\n");
  EXPECT_EQ(std::count(local_.statements.begin(), local_.statements.end(), kCpuFields), 2);
}

TEST_F(BackfillInfluxqlReaderTest, AColumnNoSchemaKnowsIsAnErrorNotAGuess) {
  local_.On(kCpuFields, 200, kCpuFieldsAnswer);
  local_.On(
      Select("cpu", 0, 10), 200,
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","ghost"],"values":[[1,1]]}]}]})");
  InfluxqlReader reader = Reader({"db", "", {"cpu"}});
  Result<WindowData> w = reader.Read(0, 10);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kInternal);
  EXPECT_EQ(w.status().message(), "measurement \"cpu\": a column is not in SHOW FIELD KEYS");
}

TEST_F(BackfillInfluxqlReaderTest, AnUnknownFieldTypeIsAnErrorNamingTheField) {
  local_.On(
      kCpuFields, 200,
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["fieldKey","fieldType"],"values":[["v","decimal"]]}]}]})");
  local_.On(
      Select("cpu", 0, 10), 200,
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v"],"values":[[1,1]]}]}]})");
  InfluxqlReader reader = Reader({"db", "", {"cpu"}});
  Result<WindowData> w = reader.Read(0, 10);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().message(), "measurement \"cpu\" field \"v\": unknown type \"decimal\"");
}

TEST_F(BackfillInfluxqlReaderTest, AFieldOfTwoTypesIsReadAsTheQueryEngineResolvesIt) {
  // SHOW FIELD KEYS lists the key once per type; the engine reads it as the first of float,
  // integer, unsigned, string, boolean, and a value of another JSON kind cannot be written so.
  local_.On(
      kCpuFields, 200,
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["fieldKey","fieldType"],"values":[["v","string"],["v","integer"],["w","boolean"]]}]}]})");
  local_.On(
      Select("cpu", 0, 10), 200,
      R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","v","w"],"values":[[1,7,true],[2,"text",false],[3,"only",null]]}]}]})");
  InfluxqlReader reader = Reader({"db", "", {"cpu"}});
  Result<WindowData> w = reader.Read(0, 10);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->lines, "cpu v=7i,w=true 1\ncpu w=false 2\n");
  EXPECT_EQ(w->points, 2u);  // the row left with no field is not a point
  EXPECT_EQ(reader.conflicts(), (std::set<std::string>{"cpu.v"}));
}

TEST_F(BackfillInfluxqlReaderTest, ARowThatDoesNotMatchItsColumnsIsAnError) {
  local_.On(kCpuFields, 200, kCpuFieldsAnswer);
  for (const char* values : {R"([[1,2]])", R"([["1",2,"s",3]])", R"([[]])"}) {
    local_.On(
        Select("cpu", 0, 10), 200,
        std::string(
            R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":["time","count","s","usage"],"values":)") +
            values + "}]}]}");
    InfluxqlReader reader = Reader({"db", "", {"cpu"}});
    Result<WindowData> w = reader.Read(0, 10);
    ASSERT_FALSE(w.ok()) << values;
    EXPECT_EQ(w.status().message(), "local query: a row does not match its columns") << values;
  }
}

TEST(BackfillQuoteIdentifierTest, QuotesAndBackslashesAreEscaped) {
  EXPECT_EQ(QuoteIdentifier("cpu"), "\"cpu\"");
  EXPECT_EQ(QuoteIdentifier("a\"b\\c d"), "\"a\\\"b\\\\c d\"");
  EXPECT_EQ(QuoteIdentifier(""), "\"\"");
}

}  // namespace
}  // namespace edgerepl::backfill
