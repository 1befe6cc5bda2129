package dev.grpcscale.test.consul;

import org.jspecify.annotations.Nullable;

import dev.grpcscale.test.consul.FakeConsulAgent.Request;

/**
 * Which part of the agent answers a request, by method and path; while a failure is set, the failure
 * answers everything. Unknown routes get 404.
 */
final class AgentRoutes {

	private static final String HEALTH = "/v1/health/service/";

	private static final String DEREGISTER = "/v1/agent/service/deregister/";

	private static final String SERVICE = "/v1/agent/service/";

	private static final String CHECK_PASS = "/v1/agent/check/pass/";

	private static final String RENEW = "/v1/session/renew/";

	private static final String DESTROY = "/v1/session/destroy/";

	private static final String KV = "/v1/kv/";

	private final BlockingQueries queries;

	private final ServiceHealth health;

	private final AgentServices services;

	private final Sessions sessions;

	private final KeyValueStore kv;

	AgentRoutes(BlockingQueries queries, ServiceHealth health, AgentServices services, Sessions sessions,
			KeyValueStore kv) {
		this.queries = queries;
		this.health = health;
		this.services = services;
		this.sessions = sessions;
		this.kv = kv;
	}

	/**
	 * The answer to a request.
	 * @return the answer, or {@code null} when the request gets none (a blocking query ended by a stop)
	 */
	@Nullable Reply reply(Request request) {
		Reply failure = this.queries.failure();
		if (failure != null) {
			return failure;
		}
		String method = request.method();
		String path = request.path();
		if (method.equals("GET") && path.startsWith(HEALTH)) {
			return this.health.serve(path.substring(HEALTH.length()), request.query());
		}
		if (method.equals("PUT") && path.equals("/v1/agent/service/register")) {
			return this.services.register(request.body());
		}
		if (method.equals("PUT") && path.startsWith(DEREGISTER)) {
			return this.services.deregister(path.substring(DEREGISTER.length()));
		}
		if (method.equals("GET") && path.startsWith(SERVICE)) {
			return this.services.service(path.substring(SERVICE.length()));
		}
		if (method.equals("PUT") && path.startsWith(CHECK_PASS)) {
			return this.services.passCheck(path.substring(CHECK_PASS.length()));
		}
		if (path.startsWith("/v1/session/")) {
			return session(request);
		}
		if (path.startsWith(KV)) {
			return kv(request);
		}
		if (method.equals("GET") && path.equals("/v1/status/leader")) {
			return Reply.ok("\"127.0.0.1:8300\"");
		}
		return notFound(request);
	}

	private Reply session(Request request) {
		String path = request.path();
		if (!request.method().equals("PUT")) {
			return notFound(request);
		}
		if (path.equals("/v1/session/create")) {
			return this.sessions.create(request.body());
		}
		if (path.startsWith(RENEW)) {
			return this.sessions.renew(path.substring(RENEW.length()));
		}
		if (path.startsWith(DESTROY)) {
			return this.sessions.destroy(path.substring(DESTROY.length()));
		}
		return notFound(request);
	}

	private @Nullable Reply kv(Request request) {
		String key = request.path().substring(KV.length());
		return switch (request.method()) {
			case "GET" -> this.kv.get(key, request.query());
			case "PUT" -> Reply.ok(Boolean.toString(this.kv.put(key, request.body(), request.query(),
					this.sessions::isLive)));
			case "DELETE" -> {
				this.kv.delete(key);
				yield Reply.ok("true");
			}
			default -> Reply.of(405, "method not allowed");
		};
	}

	private static Reply notFound(Request request) {
		return Reply.of(404, "no handler for " + request.method() + " " + request.path());
	}

}
