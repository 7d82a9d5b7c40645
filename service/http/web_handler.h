#ifndef VERKENNER_SERVICE_HTTP_WEB_HANDLER_H_
#define VERKENNER_SERVICE_HTTP_WEB_HANDLER_H_

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "service/http/api_gateway.h"
#include "service/http/http_listener.h"

namespace verkenner::service {

// What the web app's HTTP listener answers: /api/... through the ApiGateway, everything else as
// a file of the built web app under `web_root` (paths without a file extension get index.html,
// the single-page app's entry). Every response carries the security headers: a strict
// Content-Security-Policy (only the app's own origin; no inline scripts, no framing), nosniff,
// no referrer, and no caching of API answers.
//
// Thread-safe. Does not own the gateway.
class WebHandler {
 public:
  WebHandler(ApiGateway* gateway, std::string web_root);

  void Handle(HttpRequest request, std::function<void(HttpResponse)> respond) const;

  // For HttpListener::Options::body_limits: an import file (ApiGateway::kImportRoute) is
  // streamed to the gateway, which checks the session and role before it reads any of it, and
  // may be up to ApiGateway::kMaxImportBytes and take kImportUploadTimeout to arrive; everything
  // else gets the listener's defaults.
  std::optional<HttpListener::BodyLimits> BodyLimitsFor(const HttpRequest& head) const;

  // 64 MiB in ten minutes is about 1 Mbit/s.
  static constexpr std::chrono::seconds kImportUploadTimeout{600};

  static constexpr char kContentSecurityPolicy[] =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
      "form-action 'self'; frame-ancestors 'none'";

 private:
  HttpResponse StaticFile(const HttpRequest& request) const;

  ApiGateway* gateway_;
  std::string web_root_;
};

}  // namespace verkenner::service

#endif  // VERKENNER_SERVICE_HTTP_WEB_HANDLER_H_
