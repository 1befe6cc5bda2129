package dev.grpcscale.discovery;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.grpcscale.Subscription;
import dev.grpcscale.discovery.internal.VersionedListener;

/**
 * A registry and discovery held in the JVM's memory: the default provider, for development, tests and
 * several application contexts in one JVM.
 *
 * <p>{@link #create()} gives a private store. {@link #shared(String)} gives a view on a store shared by
 * every view of the same namespace in this JVM, so that several application contexts (or several
 * components of one) see each other's registrations; the store is dropped when its last view closes.
 * Closing a view deregisters the instances it registered and stops its watches, as a crashed process
 * would lose its lease in a real backend.
 *
 * <p>Reads are lock-free: each service keeps an immutable snapshot that mutations replace. Watch
 * listeners are called on the thread that made the change, outside any lock, with no hand-off to another
 * thread, and never with a list older than one they already received. A change made while a listener is
 * still running on another thread is left to that thread, which hands the listener the newest list when it
 * returns: a slow or blocked listener never holds up the other callers of {@link #register} and
 * {@link #deregister}, nor the other listeners of their changes.
 */
public final class InMemoryServiceRegistry implements ServiceRegistry, ServiceDiscovery {

	private static final Logger logger = LoggerFactory.getLogger(InMemoryServiceRegistry.class);

	/**
	 * The namespaces shared inside this JVM. This is the one JVM-wide registry of grpc-scale, and it is
	 * what the memory provider is for: it holds nothing but stores that live views reference.
	 */
	private static final Map<String, Store> SHARED = new ConcurrentHashMap<>();

	private final Store store;

	private final Map<InstanceKey, ServiceInstance> owned = new ConcurrentHashMap<>();

	private final Set<VersionedListener> watchers = ConcurrentHashMap.newKeySet();

	private final AtomicBoolean closed = new AtomicBoolean();

	private InMemoryServiceRegistry(Store store) {
		this.store = store;
	}

	/** A registry on a store of its own. */
	public static InMemoryServiceRegistry create() {
		return new InMemoryServiceRegistry(new Store(null));
	}

	/**
	 * A view on the store that every view of {@code namespace} in this JVM shares.
	 * @param namespace the namespace, not blank
	 * @return a new view; close it when done
	 */
	public static InMemoryServiceRegistry shared(String namespace) {
		Objects.requireNonNull(namespace, "namespace");
		if (namespace.isBlank()) {
			throw new IllegalArgumentException("namespace: '' (expected: a non-blank name)");
		}
		Store store = SHARED.compute(namespace, (key, existing) -> {
			Store result = (existing != null) ? existing : new Store(key);
			result.views++;
			return result;
		});
		return new InMemoryServiceRegistry(store);
	}

	/** The namespace of a shared store, or {@code null} for a private one. */
	public String namespace() {
		return (store.namespace != null) ? store.namespace : "";
	}

	@Override
	public void register(ServiceInstance instance) {
		Objects.requireNonNull(instance, "instance");
		ensureOpen();
		this.owned.put(InstanceKey.of(instance), instance);
		this.store.put(instance);
	}

	@Override
	public boolean deregister(String serviceName, String instanceId) {
		ensureOpen();
		this.owned.remove(new InstanceKey(serviceName, instanceId));
		return this.store.remove(serviceName, instanceId);
	}

	@Override
	public List<ServiceInstance> getInstances(String serviceName) {
		return this.store.snapshot(serviceName).up();
	}

	@Override
	public List<ServiceInstance> getAllInstances(String serviceName) {
		return this.store.snapshot(serviceName).all();
	}

	@Override
	public Set<String> getServiceNames() {
		return this.store.serviceNames();
	}

	@Override
	public Subscription watch(String serviceName, Consumer<List<ServiceInstance>> listener) {
		Objects.requireNonNull(serviceName, "serviceName");
		Objects.requireNonNull(listener, "listener");
		ensureOpen();
		VersionedListener watcher = new VersionedListener(logger, serviceName, listener, false);
		this.watchers.add(watcher);
		this.store.addWatcher(watcher);
		Snapshot current = this.store.snapshot(serviceName);
		watcher.deliver(current.version(), current.up());
		return () -> {
			this.watchers.remove(watcher);
			this.store.removeWatcher(watcher);
		};
	}

	@Override
	public DiscoveryStatus status() {
		int instances = 0;
		Set<String> names = this.store.serviceNames();
		for (String name : names) {
			instances += this.store.snapshot(name).all().size();
		}
		return new DiscoveryStatus("memory", true,
				Map.of("namespace", namespace(), "services", names.size(), "instances", instances));
	}

	/**
	 * Deregisters the instances this view registered, stops its watches and, for the last view of a
	 * shared namespace, drops the store. Idempotent.
	 */
	@Override
	public void close() {
		if (!this.closed.compareAndSet(false, true)) {
			return;
		}
		for (VersionedListener watcher : this.watchers) {
			this.store.removeWatcher(watcher);
		}
		this.watchers.clear();
		for (InstanceKey key : this.owned.keySet()) {
			this.store.remove(key.serviceName(), key.instanceId());
		}
		this.owned.clear();
		if (this.store.namespace != null) {
			SHARED.computeIfPresent(this.store.namespace, (key, existing) -> (--existing.views == 0) ? null : existing);
		}
	}

	private void ensureOpen() {
		if (this.closed.get()) {
			throw new IllegalStateException("InMemoryServiceRegistry is closed");
		}
	}

	private record InstanceKey(String serviceName, String instanceId) {

		static InstanceKey of(ServiceInstance instance) {
			return new InstanceKey(instance.serviceName(), instance.instanceId());
		}

	}

	/** The immutable state of one service at one version. */
	private record Snapshot(long version, List<ServiceInstance> all, List<ServiceInstance> up) {

		static final Snapshot EMPTY = new Snapshot(0, List.of(), List.of());

		/**
		 * Wraps an array no one else holds; the list of those up is the same list when none is down, so a
		 * change of a service with every instance up reads no instance.
		 */
		static Snapshot of(long version, ServiceInstance[] instances, int down) {
			List<ServiceInstance> all = Collections.unmodifiableList(Arrays.asList(instances));
			if (down == 0) {
				return new Snapshot(version, all, all);
			}
			List<ServiceInstance> upOnly = new ArrayList<>(instances.length - down);
			for (ServiceInstance instance : instances) {
				if (instance.isUp()) {
					upOnly.add(instance);
				}
			}
			return new Snapshot(version, all, Collections.unmodifiableList(upOnly));
		}

	}

	/**
	 * One service's instances, in registration order; mutated under the store's lock, read through its
	 * snapshot. Each change copies the previous snapshot's array (one contiguous copy, no walk over map
	 * entries) and finds a replaced or removed instance in it by reference.
	 */
	private static final class ServiceEntry {

		final Map<String, ServiceInstance> byId = new HashMap<>();

		/** How many of {@link #byId} are not up. */
		int down;

		private ServiceInstance[] instances = new ServiceInstance[0];

		volatile Snapshot snapshot = Snapshot.EMPTY;

		Snapshot put(long version, ServiceInstance instance) {
			ServiceInstance replaced = this.byId.put(instance.instanceId(), instance);
			ServiceInstance[] next;
			if (replaced == null) {
				next = Arrays.copyOf(this.instances, this.instances.length + 1);
				next[this.instances.length] = instance;
			}
			else {
				next = this.instances.clone();
				next[indexOf(replaced)] = instance;
				this.down -= replaced.isUp() ? 0 : 1;
			}
			this.down += instance.isUp() ? 0 : 1;
			return publish(version, next);
		}

		/** Removes an instance that is there. */
		Snapshot remove(long version, String instanceId) {
			ServiceInstance removed = this.byId.remove(instanceId);
			int index = indexOf(removed);
			ServiceInstance[] next = new ServiceInstance[this.instances.length - 1];
			System.arraycopy(this.instances, 0, next, 0, index);
			System.arraycopy(this.instances, index + 1, next, index, next.length - index);
			this.down -= removed.isUp() ? 0 : 1;
			return publish(version, next);
		}

		private int indexOf(ServiceInstance instance) {
			for (int i = 0; i < this.instances.length; i++) {
				if (this.instances[i] == instance) {
					return i;
				}
			}
			throw new IllegalStateException("instance " + instance.instanceId() + " indexed but not listed");
		}

		private Snapshot publish(long version, ServiceInstance[] next) {
			this.instances = next;
			this.snapshot = Snapshot.of(version, next, this.down);
			return this.snapshot;
		}

	}

	private static final class Store {

		final String namespace;

		/** Views referencing a shared store; guarded by {@link #SHARED}'s compute. */
		int views;

		private final Object lock = new Object();

		private final Map<String, ServiceEntry> services = new ConcurrentHashMap<>();

		private final Map<String, List<VersionedListener>> watchers = new ConcurrentHashMap<>();

		private long version;

		Store(String namespace) {
			this.namespace = namespace;
		}

		Snapshot snapshot(String serviceName) {
			ServiceEntry entry = this.services.get(serviceName);
			return (entry != null) ? entry.snapshot : Snapshot.EMPTY;
		}

		Set<String> serviceNames() {
			Set<String> names = new java.util.TreeSet<>();
			this.services.forEach((name, entry) -> {
				if (!entry.snapshot.all().isEmpty()) {
					names.add(name);
				}
			});
			return Set.copyOf(names);
		}

		void put(ServiceInstance instance) {
			Snapshot snapshot;
			synchronized (this.lock) {
				ServiceEntry entry = this.services.computeIfAbsent(instance.serviceName(), (name) -> new ServiceEntry());
				snapshot = entry.put(++this.version, instance);
			}
			publish(instance.serviceName(), snapshot);
		}

		boolean remove(String serviceName, String instanceId) {
			Snapshot snapshot;
			synchronized (this.lock) {
				ServiceEntry entry = this.services.get(serviceName);
				if (entry == null || !entry.byId.containsKey(instanceId)) {
					return false;
				}
				snapshot = entry.remove(++this.version, instanceId);
			}
			publish(serviceName, snapshot);
			return true;
		}

		void addWatcher(VersionedListener watcher) {
			this.watchers.computeIfAbsent(watcher.serviceName(), (name) -> new CopyOnWriteArrayList<>()).add(watcher);
		}

		void removeWatcher(VersionedListener watcher) {
			watcher.cancel();
			List<VersionedListener> list = this.watchers.get(watcher.serviceName());
			if (list != null) {
				list.remove(watcher);
			}
		}

		private void publish(String serviceName, Snapshot snapshot) {
			List<VersionedListener> list = this.watchers.get(serviceName);
			if (list != null) {
				// a copy-on-write list: this iterates the watchers of the moment, with no copy
				for (VersionedListener watcher : list) {
					watcher.deliver(snapshot.version(), snapshot.up());
				}
			}
		}

	}

}
