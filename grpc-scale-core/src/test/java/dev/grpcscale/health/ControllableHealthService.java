package dev.grpcscale.health;

import java.util.concurrent.atomic.AtomicInteger;

import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;

/** A {@code grpc.health.v1.Health} service whose answer a test switches, and that counts the checks it got. */
final class ControllableHealthService extends HealthGrpc.HealthImplBase {

	enum Mode {

		SERVING, NOT_SERVING, UNAVAILABLE,

		/** Never answers: only the client's deadline ends the call. */
		SILENT

	}

	volatile Mode mode = Mode.SERVING;

	final AtomicInteger checks = new AtomicInteger();

	@Override
	public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> observer) {
		this.checks.incrementAndGet();
		switch (this.mode) {
			case SERVING -> respond(observer, ServingStatus.SERVING);
			case NOT_SERVING -> respond(observer, ServingStatus.NOT_SERVING);
			case UNAVAILABLE -> observer.onError(Status.UNAVAILABLE.withDescription("test").asRuntimeException());
			case SILENT -> {
				// never completes
			}
		}
	}

	private static void respond(StreamObserver<HealthCheckResponse> observer, ServingStatus status) {
		observer.onNext(HealthCheckResponse.newBuilder().setStatus(status).build());
		observer.onCompleted();
	}

}
