package dev.grpcscale.circuitbreaker;

import java.util.Collection;
import java.util.Objects;
import java.util.Set;

import io.grpc.Attributes;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthGrpc;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guards a channel's calls with the breaker of their target service (see {@link GrpcCircuitBreakers}).
 *
 * <pre>{@code
 * channelBuilder.intercept(CircuitBreakerClientInterceptor.builder(breakers)
 *     .serviceName("product-service")
 *     .excludedMethods(Set.of("shop.Product/Ping"))
 *     .build());
 * }</pre>
 *
 * <p>When the breaker does not permit a call, the call fails at {@code start} with
 * {@code Status.UNAVAILABLE} naming the service and the breaker, without reaching the load balancer or
 * the network. Otherwise the call's outcome is recorded when it closes (see
 * {@link CircuitBreakerSettings} for what a failure is). A failure the {@code grpc_scale_round_robin}
 * load balancer already counted in the breaker of the instance the call went to counts as failed in the
 * service breaker's totals but stays out of its window: a single bad instance is taken out of load
 * balancing instead of opening the whole service. Failures no instance breaker counted (no instance
 * available, every instance out, a deadline reached before a pick) fill the window.
 *
 * <p>Calls of the gRPC health service ({@code grpc.health.v1.Health/*}) and the excluded methods pass
 * untouched and never count, neither here nor in the instance breakers of the
 * {@code grpc_scale_round_robin} load balancer.
 *
 * <p>Limits: the breaker is taken per call, not per message, so a long-lived stream counts once, when it
 * ends.
 */
public final class CircuitBreakerClientInterceptor implements ClientInterceptor {

	private static final Logger logger = LoggerFactory.getLogger(CircuitBreakerClientInterceptor.class);

	private final GrpcCircuitBreakers breakers;

	private final @Nullable String serviceName;

	private final Set<String> excludedMethods;

	/**
	 * The breaker of the service the last call went to. A channel's authority does not change, so calls
	 * find their breaker here rather than in the breakers' map by name; an interceptor shared by channels of
	 * different services only falls back to the map more often.
	 */
	private volatile @Nullable ServiceEntry lastEntry;

	private CircuitBreakerClientInterceptor(Builder builder) {
		this.breakers = builder.breakers;
		this.serviceName = builder.serviceName;
		this.excludedMethods = Set.copyOf(builder.excludedMethods);
	}

	/**
	 * Starts a builder.
	 * @param breakers where the service breakers come from
	 * @return the builder
	 */
	public static Builder builder(GrpcCircuitBreakers breakers) {
		return new Builder(breakers);
	}

	@Override
	public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method,
			CallOptions callOptions, Channel next) {
		if (!counts(method)) {
			return next.newCall(method, callOptions.withOption(CallAttribution.NOT_COUNTED, Boolean.TRUE));
		}
		String service = (this.serviceName != null) ? this.serviceName : next.authority();
		return new GuardedCall<>(serviceEntry(service), service, method, callOptions, next);
	}

	private BreakerEntry serviceEntry(String service) {
		ServiceEntry last = this.lastEntry;
		if (last != null && last.service().equals(service)) {
			return last.entry();
		}
		BreakerEntry entry = this.breakers.entry(service, CircuitBreakerKind.SERVICE);
		this.lastEntry = new ServiceEntry(service, entry);
		return entry;
	}

	static boolean isHealthCheck(MethodDescriptor<?, ?> method) {
		return HealthGrpc.SERVICE_NAME.equals(method.getServiceName());
	}

	private boolean counts(MethodDescriptor<?, ?> method) {
		String serviceOfMethod = method.getServiceName();
		if (isHealthCheck(method)) {
			return false;
		}
		if (this.excludedMethods.isEmpty()) {
			return true;
		}
		return !this.excludedMethods.contains(method.getFullMethodName())
				&& (serviceOfMethod == null || !this.excludedMethods.contains(serviceOfMethod + "/*"));
	}

	/** A service and its breaker's entry (breakers live as long as their {@link GrpcCircuitBreakers}). */
	private record ServiceEntry(String service, BreakerEntry entry) {
	}

	/** A call that asks the breaker at {@code start} and creates the real call only when permitted. */
	private static final class GuardedCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {

		private final BreakerEntry entry;

		private final String service;

		private final MethodDescriptor<ReqT, RespT> method;

		private final CallOptions callOptions;

		private final Channel next;

		private @Nullable ClientCall<ReqT, RespT> delegate;

		GuardedCall(BreakerEntry entry, String service, MethodDescriptor<ReqT, RespT> method,
				CallOptions callOptions, Channel next) {
			this.entry = entry;
			this.service = service;
			this.method = method;
			this.callOptions = callOptions;
			this.next = next;
		}

		@Override
		public void start(Listener<RespT> responseListener, Metadata headers) {
			if (!this.entry.tryAcquire()) {
				responseListener.onClose(Status.UNAVAILABLE.withDescription("Circuit breaker '" + this.entry.name
						+ "' of service '" + this.service + "' is " + this.entry.breaker.getState() + ": call to "
						+ this.method.getFullMethodName() + " rejected without reaching the network"), new Metadata());
				return;
			}
			RecordingListener<RespT> listener = new RecordingListener<>(responseListener, this.entry, this.entry.now());
			try {
				ClientCall<ReqT, RespT> call = this.next.newCall(this.method,
						this.callOptions.withOption(CallAttribution.KEY, listener));
				this.delegate = call;
				call.start(listener, headers);
			}
			catch (RuntimeException ex) {
				this.entry.release();
				throw ex;
			}
		}

		@Override
		public void request(int numMessages) {
			if (this.delegate != null) {
				this.delegate.request(numMessages);
			}
		}

		@Override
		public void cancel(@Nullable String message, @Nullable Throwable cause) {
			if (this.delegate != null) {
				this.delegate.cancel(message, cause);
			}
		}

		@Override
		public void halfClose() {
			if (this.delegate != null) {
				this.delegate.halfClose();
			}
		}

		@Override
		public void sendMessage(ReqT message) {
			if (this.delegate != null) {
				this.delegate.sendMessage(message);
			}
		}

		@Override
		public boolean isReady() {
			return this.delegate != null && this.delegate.isReady();
		}

		@Override
		public void setMessageCompression(boolean enabled) {
			if (this.delegate != null) {
				this.delegate.setMessageCompression(enabled);
			}
		}

		@Override
		public Attributes getAttributes() {
			return (this.delegate != null) ? this.delegate.getAttributes() : Attributes.EMPTY;
		}

	}

	/**
	 * Records the call's outcome in the service breaker; also the call's {@link CallAttribution}, told by the
	 * instance breaker's stream tracer whether it counted a failure already.
	 */
	private static final class RecordingListener<RespT>
			extends ForwardingClientCallListener.SimpleForwardingClientCallListener<RespT> implements CallAttribution {

		private final BreakerEntry entry;

		private final long start;

		/** Written on a transport thread before {@code onClose} is delivered; volatile publishes it. */
		private volatile boolean countedByInstance;

		RecordingListener(ClientCall.Listener<RespT> delegate, BreakerEntry entry, long start) {
			super(delegate);
			this.entry = entry;
			this.start = start;
		}

		@Override
		public void attemptClosed(boolean failureCountedByInstance) {
			this.countedByInstance = failureCountedByInstance;
		}

		@Override
		public void onClose(Status status, Metadata trailers) {
			try {
				this.entry.recordStatus(this.start, status, trailers, this.countedByInstance);
			}
			catch (RuntimeException ex) {
				logger.warn("Could not record the outcome of a call in circuit breaker '{}'", this.entry.name, ex);
			}
			super.onClose(status, trailers);
		}

	}

	/** Settings of a {@link CircuitBreakerClientInterceptor}. */
	public static final class Builder {

		private final GrpcCircuitBreakers breakers;

		private @Nullable String serviceName;

		private Set<String> excludedMethods = Set.of();

		private Builder(GrpcCircuitBreakers breakers) {
			this.breakers = Objects.requireNonNull(breakers, "breakers");
		}

		/**
		 * The service whose breaker guards the calls. Default: the channel's authority, which is the
		 * service name for a {@code discovery:///<service>} target.
		 * @param serviceName the service
		 * @return this builder
		 * @throws IllegalArgumentException if blank
		 */
		public Builder serviceName(String serviceName) {
			Objects.requireNonNull(serviceName, "serviceName");
			if (serviceName.isBlank()) {
				throw new IllegalArgumentException("serviceName: '' (expected: a service name)");
			}
			this.serviceName = serviceName;
			return this;
		}

		/**
		 * Methods whose calls pass untouched and never count: full method names
		 * ({@code package.Service/Method}) or whole services ({@code package.Service/*}). Default none; the
		 * gRPC health service is always excluded.
		 * @param excludedMethods the names
		 * @return this builder
		 * @throws IllegalArgumentException if a name has no {@code /}
		 */
		public Builder excludedMethods(Collection<String> excludedMethods) {
			Objects.requireNonNull(excludedMethods, "excludedMethods");
			for (String name : excludedMethods) {
				Objects.requireNonNull(name, "excludedMethods element");
				int slash = name.indexOf('/');
				if (slash <= 0 || slash == name.length() - 1) {
					throw new IllegalArgumentException("excludedMethods: '" + name
							+ "' (expected: a full method name 'package.Service/Method' or 'package.Service/*')");
				}
			}
			this.excludedMethods = Set.copyOf(excludedMethods);
			return this;
		}

		/** Builds the interceptor. */
		public CircuitBreakerClientInterceptor build() {
			return new CircuitBreakerClientInterceptor(this);
		}

	}

}
