package dev.grpcscale.autoconfigure;

import java.util.List;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.event.ApplicationContextEvent;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.ContextRefreshedEvent;
import org.springframework.context.event.ContextStartedEvent;
import org.springframework.core.Ordered;

import dev.grpcscale.LocalInstance;

/**
 * Runs the {@link LocalInstance} with the application: the one owner of its advertised address,
 * registrations and cluster membership.
 * <ul>
 * <li>Start: once Boot's gRPC server has started on a network port, the address clients dial is known: it
 * is recorded ({@link GrpcServerAddress}, which the cluster announces), the services of
 * {@code grpc.scale.services} are registered with discovery and the node joins its election. An
 * application without such a server (none, or the in-process one) joins once the context has started and
 * registers nothing; if {@code grpc.scale.services} lists services, one warning names them.</li>
 * <li>Stop: as the context starts closing ({@code ContextClosedEvent}), or as the gRPC server alone is
 * stopped ({@code GrpcServerShutdownEvent}), before Boot drains in-flight calls: gRPC health
 * {@code NOT_SERVING}, deregistration, leadership resigned. The backends close later, as their beans are
 * destroyed.</li>
 * </ul>
 * {@code stop()} then {@code start()} of the context brings the instance back {@code SERVING}, registered
 * and campaigning.
 */
public class LocalInstanceLifecycle implements SmartLifecycle, ApplicationListener<ApplicationEvent>, Ordered {

	/** Starts before the gRPC server (whose phase is {@link Integer#MAX_VALUE}) and stops after it. */
	public static final int PHASE = Integer.MAX_VALUE - 1000;

	private static final Log logger = LogFactory.getLog(LocalInstanceLifecycle.class);

	private static final String SERVER_SHUTDOWN_EVENT = "org.springframework.grpc.server.lifecycle.GrpcServerShutdownEvent";

	private final LocalInstance instance;

	private final LocalServiceDefinitions definitions;

	private final GrpcServerAddress serverAddress;

	private final boolean registering;

	private final @Nullable ApplicationContext context;

	private volatile boolean running;

	private volatile boolean warned;

	/**
	 * Creates the lifecycle.
	 * @param instance the instance to start and stop
	 * @param definitions what the gRPC server's start registers
	 * @param serverAddress where the advertised address is recorded
	 * @param registering whether discovery is enabled, so that the services are registered
	 * @param context the context whose start and close events count (events of child contexts do not)
	 */
	LocalInstanceLifecycle(LocalInstance instance, LocalServiceDefinitions definitions, GrpcServerAddress serverAddress,
			boolean registering, @Nullable ApplicationContext context) {
		this.instance = instance;
		this.definitions = definitions;
		this.serverAddress = serverAddress;
		this.registering = registering;
		this.context = context;
	}

	/** Marks the lifecycle running; the instance itself starts when the gRPC server has. */
	@Override
	public void start() {
		this.running = true;
	}

	/**
	 * Starts the instance for a gRPC server that has started: records its address, registers its services
	 * and joins the election.
	 * @param boundAddress the address the server is bound to, as the server reports it
	 * @param boundPort the port it is bound to; {@code <= 0} (the in-process server) registers nothing
	 */
	public void serverStarted(@Nullable String boundAddress, int boundPort) {
		String address = this.definitions.advertisedAddress(boundAddress, boundPort);
		if (address == null) {
			startWithoutServer();
			return;
		}
		this.serverAddress.serverStarted(address);
		this.instance.start(this.registering ? this.definitions.forServer(boundAddress, boundPort) : List.of());
	}

	@Override
	public void onApplicationEvent(ApplicationEvent event) {
		if (event instanceof ApplicationContextEvent contextEvent && !isOwn(contextEvent)) {
			return;
		}
		if (event instanceof ContextClosedEvent) {
			this.instance.stop(true);
		}
		else if (SERVER_SHUTDOWN_EVENT.equals(event.getClass().getName())) {
			this.instance.stop(false);
		}
		else if (event instanceof ContextRefreshedEvent || event instanceof ContextStartedEvent) {
			// lifecycles have started: a gRPC server on a network port has started the instance by now
			if (this.running && this.instance.state() != LocalInstance.State.STARTED) {
				startWithoutServer();
			}
		}
	}

	private void startWithoutServer() {
		List<String> configured = this.definitions.configuredNames();
		if (this.registering && !configured.isEmpty() && !this.warned) {
			this.warned = true;
			logger.warn("grpc.scale.services lists " + configured + " but this application has no gRPC server on "
					+ "a network port (no BindableService bean, or only the in-process server): nothing is registered "
					+ "with discovery.");
		}
		this.instance.start(List.of());
	}

	private boolean isOwn(ApplicationContextEvent event) {
		return this.context == null || event.getApplicationContext() == this.context;
	}

	@Override
	public void stop() {
		this.running = false;
		this.instance.stop(false);
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	@Override
	public int getPhase() {
		return PHASE;
	}

	/** Before other listeners of the same events, so that nothing drains before health turns. */
	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

}
