package dev.grpcscale.test.consul;

import org.jspecify.annotations.Nullable;

/**
 * What the fake agent answers to one request: the status, the body ({@code application/json} when the
 * status is 200, else {@code text/plain}) and, for a blocking endpoint, the {@code X-Consul-Index}.
 *
 * @param status HTTP status
 * @param body the body, empty for none
 * @param index the {@code X-Consul-Index} header, or {@code null} for none
 */
record Reply(int status, String body, @Nullable Long index) {

	static Reply ok(String body) {
		return new Reply(200, body, null);
	}

	static Reply of(int status, String body) {
		return new Reply(status, body, null);
	}

}
