#include "operator/kube/config.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "common/codec/base64.h"
#include "operator/kube/resource.h"

namespace edgerepl::kube {
namespace {

Result<std::string> ReadFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::FromErrno(errno, what + " " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::FromErrno(errno, what + " " + path);
  return ss.str();
}

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, e - b + 1);
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  return base_dir + "/" + path;
}

std::vector<std::string> SplitList(const std::string& list) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : list) {
    if (c == ':') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// One named entry of a kubeconfig list (clusters, users, contexts) and the file it came from, so
// relative paths resolve against that file.
struct Entry {
  YAML::Node node;
  std::string file;
};

struct Merged {
  std::string current_context;
  std::map<std::string, Entry> clusters, users, contexts;
};

Status MergeList(const YAML::Node& root, const char* list, const char* inner,
                 const std::string& file, std::map<std::string, Entry>& into) {
  YAML::Node items = root[list];
  if (!items) return Status::Ok();
  if (!items.IsSequence()) {
    return Status::InvalidArgument(file + ": " + list + " must be a list");
  }
  for (size_t i = 0; i < items.size(); ++i) {
    YAML::Node item = items[i];
    std::string at = file + ": " + list + "[" + std::to_string(i) + "]";
    if (!item.IsMap() || !item["name"] || !item["name"].IsScalar()) {
      return Status::InvalidArgument(at + ".name missing");
    }
    YAML::Node body = item[inner];
    if (body && !body.IsMap()) return Status::InvalidArgument(at + "." + inner + " must be a map");
    into.emplace(item["name"].as<std::string>(),
                 Entry{body ? body : YAML::Node(YAML::NodeType::Map), file});
  }
  return Status::Ok();
}

Result<Merged> ParseFiles(const std::vector<std::string>& files) {
  Merged merged;
  int parsed = 0;
  for (const std::string& file : files) {
    Result<std::string> text = ReadFile(file, "kubeconfig");
    if (!text.ok()) {
      // kubectl skips missing files of a KUBECONFIG list but fails on a single explicit file.
      if (files.size() > 1 && text.status().errno_value() == ENOENT) continue;
      return text.status();
    }
    YAML::Node root;
    try {
      root = YAML::Load(*text);
    } catch (const YAML::Exception& e) {
      return Status::InvalidArgument(file + ": not valid YAML: " + e.what());
    }
    if (!root.IsMap()) return Status::InvalidArgument(file + ": not a kubeconfig (no mapping)");
    try {
      if (merged.current_context.empty() && root["current-context"] &&
          root["current-context"].IsScalar()) {
        merged.current_context = root["current-context"].as<std::string>();
      }
      EDGEREPL_RETURN_IF_ERROR(MergeList(root, "clusters", "cluster", file, merged.clusters));
      EDGEREPL_RETURN_IF_ERROR(MergeList(root, "users", "user", file, merged.users));
      EDGEREPL_RETURN_IF_ERROR(MergeList(root, "contexts", "context", file, merged.contexts));
    } catch (const YAML::Exception& e) {
      return Status::InvalidArgument(file + ": " + e.what());
    }
    ++parsed;
  }
  if (parsed == 0)
    return Status::NotFound("no kubeconfig file found in " + std::to_string(files.size()) +
                            " path(s)");
  return merged;
}

std::string Scalar(const YAML::Node& map, const char* key) {
  YAML::Node n = map[key];
  if (!n || !n.IsScalar()) return "";
  return n.as<std::string>();
}

// PEM from `<key>-data` (base64) or the file named by `<key>`.
Status LoadPem(const Entry& entry, const std::string& key, const std::string& at,
               std::string* out) {
  std::string data = Scalar(entry.node, (key + "-data").c_str());
  if (!data.empty()) {
    std::optional<std::string> decoded = codec::Base64Decode(data);
    if (!decoded) return Status::InvalidArgument(at + "." + key + "-data is not valid base64");
    *out = std::move(*decoded);
    return Status::Ok();
  }
  std::string file = Scalar(entry.node, key.c_str());
  if (file.empty()) return Status::Ok();
  Result<std::string> pem = ReadFile(Resolve(DirName(entry.file), file), at + "." + key);
  if (!pem.ok()) return pem.status();
  *out = std::move(*pem);
  return Status::Ok();
}

}  // namespace

std::shared_ptr<TokenSource> TokenSource::Static(std::string token) {
  std::shared_ptr<TokenSource> s(new TokenSource());
  s->token_ = std::move(token);
  return s;
}

std::shared_ptr<TokenSource> TokenSource::FromFile(std::string path, const Clock& clock,
                                                   std::chrono::seconds refresh) {
  std::shared_ptr<TokenSource> s(new TokenSource());
  s->path_ = std::move(path);
  s->clock_ = &clock;
  s->refresh_ = refresh;
  return s;
}

Result<std::string> TokenSource::Token() {
  std::lock_guard<std::mutex> lock(mu_);
  if (path_.empty()) return token_;
  auto now = clock_->Now();
  if (read_at_ && !stale_ && now - *read_at_ < refresh_) return token_;
  Result<std::string> text = ReadFile(path_, "token file");
  if (!text.ok()) {
    if (read_at_) return token_;
    return text.status();
  }
  std::string token = Trim(std::move(*text));
  if (token.empty()) {
    if (read_at_) return token_;
    return Status::InvalidArgument("token file " + path_ + " is empty");
  }
  token_ = std::move(token);
  read_at_ = now;
  stale_ = false;
  return token_;
}

void TokenSource::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  stale_ = true;
}

GetEnv ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

Result<Config> LoadInClusterConfig(const Clock& clock, const GetEnv& env,
                                   const InClusterPaths& paths) {
  std::optional<std::string> host = env("KUBERNETES_SERVICE_HOST");
  std::optional<std::string> port = env("KUBERNETES_SERVICE_PORT");
  if (!host || host->empty() || !port || port->empty()) {
    return Status::NotFound(
        "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are unset");
  }
  Config config;
  config.source = "in-cluster";
  // An IPv6 service address needs brackets in a URL.
  std::string h = host->find(':') != std::string::npos ? "[" + *host + "]" : *host;
  config.server = "https://" + h + ":" + *port;
  Result<std::string> ca = ReadFile(paths.ca_file, "service account CA");
  if (!ca.ok()) return ca.status();
  config.tls.ca_pem = std::move(*ca);
  config.token = TokenSource::FromFile(paths.token_file, clock);
  Result<std::string> first = config.token->Token();
  if (!first.ok()) return first.status();
  Result<std::string> ns = ReadFile(paths.namespace_file, "service account namespace");
  if (ns.ok() && !Trim(*ns).empty()) config.namespace_ = Trim(*ns);
  return config;
}

Result<Config> LoadKubeconfig(const std::string& paths, const Clock& clock,
                              const std::string& context) {
  std::vector<std::string> files = SplitList(paths);
  if (files.empty()) return Status::InvalidArgument("no kubeconfig path given");
  Result<Merged> merged = ParseFiles(files);
  if (!merged.ok()) return merged.status();
  std::string ctx_name = context.empty() ? merged->current_context : context;
  if (ctx_name.empty()) {
    return Status::InvalidArgument(paths + ": no current-context set and no context chosen");
  }
  auto ctx = merged->contexts.find(ctx_name);
  if (ctx == merged->contexts.end()) {
    return Status::InvalidArgument(paths + ": context \"" + ctx_name + "\" not found");
  }
  std::string cluster_name = Scalar(ctx->second.node, "cluster");
  std::string user_name = Scalar(ctx->second.node, "user");
  auto cluster = merged->clusters.find(cluster_name);
  if (cluster == merged->clusters.end()) {
    return Status::InvalidArgument(paths + ": context \"" + ctx_name + "\" names cluster \"" +
                                   cluster_name + "\", which is not defined");
  }

  Config config;
  config.source = paths + " (context " + ctx_name + ")";
  std::string ns = Scalar(ctx->second.node, "namespace");
  if (!ns.empty()) config.namespace_ = ns;

  const std::string cat = cluster->second.file + ": cluster \"" + cluster_name + "\"";
  config.server = Scalar(cluster->second.node, "server");
  if (config.server.empty()) return Status::InvalidArgument(cat + ": server missing");
  if (config.server.rfind("https://", 0) != 0 && config.server.rfind("http://", 0) != 0) {
    return Status::InvalidArgument(cat + ": server must be an http(s) URL: " + config.server);
  }
  while (!config.server.empty() && config.server.back() == '/') config.server.pop_back();
  std::string insecure = Scalar(cluster->second.node, "insecure-skip-tls-verify");
  config.tls.insecure_skip_verify = insecure == "true";
  EDGEREPL_RETURN_IF_ERROR(
      LoadPem(cluster->second, "certificate-authority", cat, &config.tls.ca_pem));
  if (!Scalar(cluster->second.node, "proxy-url").empty()) {
    return Status::InvalidArgument(cat + ": proxy-url is not supported");
  }

  if (!user_name.empty()) {
    auto user = merged->users.find(user_name);
    if (user == merged->users.end()) {
      return Status::InvalidArgument(paths + ": context \"" + ctx_name + "\" names user \"" +
                                     user_name + "\", which is not defined");
    }
    const Entry& u = user->second;
    const std::string uat = u.file + ": user \"" + user_name + "\"";
    if (u.node["exec"] || u.node["auth-provider"]) {
      return Status::InvalidArgument(uat +
                                     ": exec and auth-provider plugins are not supported; use a "
                                     "token, tokenFile or client certificate");
    }
    EDGEREPL_RETURN_IF_ERROR(LoadPem(u, "client-certificate", uat, &config.tls.client_cert_pem));
    EDGEREPL_RETURN_IF_ERROR(LoadPem(u, "client-key", uat, &config.tls.client_key_pem));
    if (config.tls.client_cert_pem.empty() != config.tls.client_key_pem.empty()) {
      return Status::InvalidArgument(uat + ": client certificate and key must be given together");
    }
    std::string token = Scalar(u.node, "token");
    std::string token_file = Scalar(u.node, "tokenFile");
    if (!token.empty()) {
      config.token = TokenSource::Static(token);
    } else if (!token_file.empty()) {
      config.token = TokenSource::FromFile(Resolve(DirName(u.file), token_file), clock);
      Result<std::string> first = config.token->Token();
      if (!first.ok()) return Status::InvalidArgument(uat + ": " + first.status().message());
    }
    config.username = Scalar(u.node, "username");
    config.password = Scalar(u.node, "password");
  }
  return config;
}

Result<Config> LoadDefaultConfig(const std::string& kubeconfig_flag, const Clock& clock,
                                 const GetEnv& env) {
  if (!kubeconfig_flag.empty()) return LoadKubeconfig(kubeconfig_flag, clock);
  std::optional<std::string> from_env = env("KUBECONFIG");
  if (from_env && !from_env->empty()) return LoadKubeconfig(*from_env, clock);
  Result<Config> in_cluster = LoadInClusterConfig(clock, env);
  if (in_cluster.ok() || in_cluster.status().code() != StatusCode::kNotFound) return in_cluster;
  std::optional<std::string> home = env("HOME");
  if (!home || home->empty()) {
    return Status::NotFound("no kubeconfig: not in a cluster, $KUBECONFIG and $HOME unset");
  }
  Result<Config> home_config = LoadKubeconfig(*home + "/.kube/config", clock);
  if (!home_config.ok() && home_config.status().errno_value() == ENOENT) {
    return Status::NotFound(
        "no kubeconfig: not in a cluster, --kubeconfig and $KUBECONFIG unset, and " + *home +
        "/.kube/config missing");
  }
  return home_config;
}

}  // namespace edgerepl::kube
