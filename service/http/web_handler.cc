#include "service/http/web_handler.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>

namespace verkenner::service {
namespace {

void AddSecurityHeaders(HttpResponse& response) {
  response.headers.emplace_back("Content-Security-Policy", WebHandler::kContentSecurityPolicy);
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.headers.emplace_back("X-Frame-Options", "DENY");
}

std::string ContentTypeOf(const std::string& extension) {
  if (extension == ".html") return "text/html; charset=utf-8";
  if (extension == ".js") return "text/javascript; charset=utf-8";
  if (extension == ".css") return "text/css; charset=utf-8";
  if (extension == ".json") return "application/json";
  if (extension == ".svg") return "image/svg+xml";
  if (extension == ".png") return "image/png";
  if (extension == ".ico") return "image/x-icon";
  if (extension == ".woff2") return "font/woff2";
  return "application/octet-stream";
}

HttpResponse Plain(int status, const std::string& body) {
  HttpResponse response;
  response.status = status;
  response.body = body;
  return response;
}

}  // namespace

WebHandler::WebHandler(ApiGateway* gateway, std::string web_root)
    : gateway_(gateway), web_root_(std::move(web_root)) {}

void WebHandler::Handle(HttpRequest request, std::function<void(HttpResponse)> respond) const {
  if (request.target.starts_with("/api/")) {
    const size_t question = request.target.find('?');
    std::string query;
    if (question != std::string::npos) {
      query = request.target.substr(question + 1);
      query.erase(std::min(query.find('#'), query.size()));
    }
    ApiRequest api{request.method,
                   request.target.substr(0, question),
                   std::move(request.body),
                   request.Header("cookie"),
                   request.Header("x-csrf-token"),
                   std::move(query),
                   std::move(request.body_stream),
                   request.remote_address,
                   request.Header("x-forwarded-for"),
                   request.Header("authorization")};
    gateway_->Handle(std::move(api), [respond = std::move(respond)](ApiResponse answer) {
      HttpResponse response;
      response.status = answer.status;
      response.content_type = "application/json";
      response.body = std::move(answer.body);
      response.headers = std::move(answer.headers);
      response.headers.emplace_back("Cache-Control", "no-store");
      AddSecurityHeaders(response);
      respond(std::move(response));
    });
    return;
  }
  HttpResponse response = StaticFile(request);
  AddSecurityHeaders(response);
  respond(std::move(response));
}

std::optional<HttpListener::BodyLimits> WebHandler::BodyLimitsFor(const HttpRequest& head) const {
  const std::string path = head.target.substr(0, head.target.find('?'));
  if (head.method != "POST" || path != ApiGateway::kImportRoute) return std::nullopt;
  // Streamed: the gateway checks who sends it before it reads any of it.
  return HttpListener::BodyLimits{ApiGateway::kMaxImportBytes, kImportUploadTimeout, true};
}

HttpResponse WebHandler::StaticFile(const HttpRequest& request) const {
  if (request.method != "GET" && request.method != "HEAD") return Plain(405, "only GET\n");
  std::string path = request.target.substr(0, request.target.find_first_of("?#"));
  // No escapes and no way up: the app's files have plain names.
  if (path.empty() || path[0] != '/' || path.find("..") != std::string::npos ||
      path.find_first_of("%\\\0", 0, 3) != std::string::npos) {
    return Plain(400, "bad path\n");
  }
  std::filesystem::path file = std::filesystem::path(path).relative_path();
  // The app routes paths without an extension itself (/zoeken, /verzoeken/123).
  if (file.empty() || !file.has_extension()) file = "index.html";
  const std::filesystem::path full = std::filesystem::path(web_root_) / file;
  std::ifstream in(full, std::ios::binary);
  if (!in || std::filesystem::is_directory(full)) return Plain(404, "not found\n");
  HttpResponse response;
  response.content_type = ContentTypeOf(file.extension().string());
  response.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  response.headers.emplace_back("Cache-Control", "no-cache");
  if (request.method == "HEAD") response.body.clear();
  return response;
}

}  // namespace verkenner::service
