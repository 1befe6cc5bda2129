package dev.grpcscale;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.discovery.DiscoveryStatus;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.discovery.ServiceInstance;

/**
 * The discovery {@link EnhancedServiceManager#serviceDiscovery()} hands out: it reads from whatever the
 * manager reads from now (the backend, or the health-checking decorator while health monitoring runs),
 * and moves its watches over when that changes, so channels bound to it follow health monitoring being
 * started or stopped.
 */
final class SwitchableServiceDiscovery implements ServiceDiscovery {

	private static final Logger logger = LoggerFactory.getLogger(SwitchableServiceDiscovery.class);

	private final Supplier<ServiceDiscovery> current;

	private final Set<SwitchingWatch> watches = ConcurrentHashMap.newKeySet();

	SwitchableServiceDiscovery(Supplier<ServiceDiscovery> current) {
		this.current = current;
	}

	@Override
	public List<ServiceInstance> getInstances(String serviceName) {
		return this.current.get().getInstances(serviceName);
	}

	@Override
	public List<ServiceInstance> getAllInstances(String serviceName) {
		return this.current.get().getAllInstances(serviceName);
	}

	@Override
	public Set<String> getServiceNames() {
		return this.current.get().getServiceNames();
	}

	@Override
	public Subscription watch(String serviceName, Consumer<List<ServiceInstance>> listener) {
		Objects.requireNonNull(serviceName, "serviceName");
		Objects.requireNonNull(listener, "listener");
		SwitchingWatch watch = new SwitchingWatch(serviceName, listener);
		this.watches.add(watch);
		watch.bind(this.current.get());
		return () -> {
			this.watches.remove(watch);
			watch.cancel();
		};
	}

	@Override
	public DiscoveryStatus status() {
		return this.current.get().status();
	}

	/** Moves every watch to the current source; called after the manager switched it. */
	void switched() {
		ServiceDiscovery source = this.current.get();
		for (SwitchingWatch watch : this.watches) {
			watch.bind(source);
		}
	}

	private static final class SwitchingWatch {

		private final String serviceName;

		private final Consumer<List<ServiceInstance>> listener;

		private @Nullable Subscription subscription;

		/** Bumped by every bind: callbacks of an older source are dropped. */
		private long generation;

		private boolean cancelled;

		SwitchingWatch(String serviceName, Consumer<List<ServiceInstance>> listener) {
			this.serviceName = serviceName;
			this.listener = listener;
		}

		void bind(ServiceDiscovery source) {
			Subscription previous;
			long bound;
			synchronized (this) {
				if (this.cancelled) {
					return;
				}
				previous = this.subscription;
				bound = ++this.generation;
			}
			if (previous != null) {
				previous.cancel();
			}
			// the new source calls back at once with its current list
			Subscription next = source.watch(this.serviceName, (instances) -> deliver(bound, instances));
			synchronized (this) {
				if (this.cancelled || this.generation != bound) {
					next.cancel();
					return;
				}
				this.subscription = next;
			}
		}

		private synchronized void deliver(long fromGeneration, List<ServiceInstance> instances) {
			if (this.cancelled || fromGeneration != this.generation) {
				return;
			}
			try {
				this.listener.accept(instances);
			}
			catch (RuntimeException ex) {
				logger.warn("Discovery watch listener for '{}' failed", this.serviceName, ex);
			}
		}

		void cancel() {
			Subscription previous;
			synchronized (this) {
				this.cancelled = true;
				previous = this.subscription;
				this.subscription = null;
			}
			if (previous != null) {
				previous.cancel();
			}
		}

	}

}
