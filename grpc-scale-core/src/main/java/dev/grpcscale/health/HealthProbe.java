package dev.grpcscale.health;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import org.jspecify.annotations.Nullable;

/**
 * One {@code grpc.health.v1.Health/Check} call as the options of a {@link HealthCheckingServiceDiscovery} make
 * it: the request names {@link HealthCheckOptions#endpoint()}, the call has a deadline of
 * {@link HealthCheckOptions#timeout()}, and its end is told once to a {@link Outcome}, with no thread waiting
 * for it.
 *
 * <p>What counts as a failure: a serving status other than {@code SERVING} (its name), an error other than
 * {@code UNIMPLEMENTED} ({@code CODE: description}, a deadline included), and a call that completes without a
 * response. {@code UNIMPLEMENTED} (no health service on the server) counts as healthy and is flagged, so the
 * caller can warn about it once per instance.
 *
 * <p>Before the call, a channel in {@link ConnectivityState#TRANSIENT_FAILURE} has its reconnect backoff
 * reset, so a recovered server is reached at this probe rather than after gRPC's backoff.
 *
 * @param options the options the probe was made from
 * @param request the request every probe sends
 */
record HealthProbe(HealthCheckOptions options, HealthCheckRequest request) {

	/** The error of a call that completed without a response. */
	static final String NO_RESPONSE = "INTERNAL: completed without a response";

	/**
	 * The probe these options make.
	 * @param options how to probe
	 * @return the probe, with its request built once
	 */
	static HealthProbe of(HealthCheckOptions options) {
		return new HealthProbe(options, HealthCheckRequest.newBuilder().setService(options.endpoint()).build());
	}

	/**
	 * Starts one check over a channel; the outcome is told exactly once, on a transport thread or on this one.
	 * @param channel the instance's probe channel
	 * @param outcome told the end of the call
	 */
	void check(ManagedChannel channel, Outcome outcome) {
		if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
			channel.resetConnectBackoff();
		}
		AtomicBoolean done = new AtomicBoolean();
		try {
			HealthGrpc.newStub(channel)
				.withExecutor(Runnable::run)
				.withDeadlineAfter(this.options.timeout().toNanos(), TimeUnit.NANOSECONDS)
				.check(this.request, new StreamObserver<>() {

					@Override
					public void onNext(HealthCheckResponse response) {
						if (done.compareAndSet(false, true)) {
							ServingStatus serving = response.getStatus();
							outcome.completed((serving == ServingStatus.SERVING) ? null : serving.toString(), false);
						}
					}

					@Override
					public void onError(Throwable error) {
						if (done.compareAndSet(false, true)) {
							Status status = Status.fromThrowable(error);
							boolean unimplemented = status.getCode() == Status.Code.UNIMPLEMENTED;
							outcome.completed(unimplemented ? null : describe(status), unimplemented);
						}
					}

					@Override
					public void onCompleted() {
						if (done.compareAndSet(false, true)) {
							outcome.completed(NO_RESPONSE, false);
						}
					}

				});
		}
		catch (RuntimeException ex) {
			if (done.compareAndSet(false, true)) {
				outcome.completed(describe(Status.fromThrowable(ex)), false);
			}
		}
	}

	/** A status as a probe's error: {@code CODE} or {@code CODE: description}. */
	static String describe(Status status) {
		return (status.getDescription() != null) ? status.getCode() + ": " + status.getDescription()
				: status.getCode().toString();
	}

	/** The end of one check. */
	@FunctionalInterface
	interface Outcome {

		/**
		 * The check ended.
		 * @param error why it failed, {@code null} when the instance counts as healthy
		 * @param unimplemented whether the server has no health service (then {@code error} is {@code null})
		 */
		void completed(@Nullable String error, boolean unimplemented);

	}

}
