package dev.grpcscale.examples.demo;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.EnhancedServiceStatus;
import dev.grpcscale.Subscription;
import dev.grpcscale.discovery.DiscoveryNameResolverProvider;
import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.circuitbreaker.GrpcCircuitBreakers;
import dev.grpcscale.cluster.LeaderElection;
import dev.grpcscale.examples.product.app.CatalogueRefresher;
import dev.grpcscale.examples.product.app.FaultSwitch;
import dev.grpcscale.examples.product.app.ProductServiceApplication;
import dev.grpcscale.examples.user.GetUserProfileRequest;
import dev.grpcscale.examples.user.app.UserServiceApplication;
import dev.grpcscale.examples.user.UserProfile;
import dev.grpcscale.examples.user.UserServiceGrpc;

/**
 * The demo's script: real Spring Boot applications over Netty on 127.0.0.1, in one JVM, sharing the
 * in-memory discovery namespace {@value #NAMESPACE}. Each step prints what it did and what it measured,
 * and checks the outcome; {@link #run(boolean)} returns the exit code.
 */
final class DemoStory {

	static final String NAMESPACE = "demo";

	private final PrintStream out;

	private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();

	private final List<String> failures = new ArrayList<>();

	private int step;

	DemoStory(PrintStream out) {
		this.out = out;
	}

	int run(boolean keepRunning) throws Exception {
		long started = System.nanoTime();
		this.out.println("grpc-scale demo: product-service and user-service on embedded defaults (memory discovery)");
		this.out.println();
		// A client outside the applications, on grpc-scale's core API: it follows discovery like they do.
		DiscoveryNameResolverProvider.registerDefault();
		try (InMemoryServiceRegistry discovery = InMemoryServiceRegistry.shared(NAMESPACE)) {
			ManagedChannel channel = DiscoveryNameResolverProvider
				.configure(ManagedChannelBuilder.forTarget("discovery:///user-service").usePlaintext(), discovery)
				.build();
			try {
				UserServiceGrpc.UserServiceBlockingStub users = UserServiceGrpc.newBlockingStub(channel);
				instancesRegister(discovery);
				callsAreBalanced(users);
				newInstanceIsFollowed(discovery, users);
				circuitOpensAndCloses(users);
				leaderElectedAndReplaced(discovery, users);
				oneTraceAcrossServices(users);
				finalStatus();
				if (keepRunning) {
					this.out.println("Services keep running (--keep-running); stop the process to end.");
					new CountDownLatch(1).await();
				}
			}
			finally {
				channel.shutdownNow();
				closeAll();
			}
		}
		this.out.println();
		long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
		if (this.failures.isEmpty()) {
			this.out.println("Demo finished in " + seconds + " s: every step behaved as described.");
			return 0;
		}
		this.out.println("Demo finished in " + seconds + " s with " + this.failures.size() + " failed check(s):");
		this.failures.forEach((failure) -> this.out.println("  - " + failure));
		return 1;
	}

	private void instancesRegister(InMemoryServiceRegistry discovery) {
		title("Instances register themselves with discovery");
		long t0 = System.nanoTime();
		startProduct("product-a");
		startProduct("product-b");
		start(UserServiceApplication.class, UserServiceApplication.CONFIG_NAME, "user-1");
		long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
		for (String service : List.of("product-service", "user-service")) {
			for (ServiceInstance instance : discovery.getInstances(service)) {
				line("%-15s %-10s at %s", service, shortId(instance), instance.address());
			}
		}
		line("3 applications started and registered in %d ms", millis);
		check(discovery.getInstances("product-service").size() == 2, "2 product-service instances registered");
		check(discovery.getInstances("user-service").size() == 1, "1 user-service instance registered");
	}

	private void callsAreBalanced(UserServiceGrpc.UserServiceBlockingStub users) {
		title("user-service calls product-service through discovery:///product-service, round robin");
		// Round robin picks among connected instances: wait until the channel has connected to both.
		int warmUp = 0;
		java.util.Set<String> seen = new java.util.HashSet<>();
		while (seen.size() < 2 && warmUp < 100) {
			warmUp++;
			profile(users).getFavoritesList().forEach((product) -> seen.add(product.getServedBy()));
		}
		line("connections to both instances ready after %d warm-up call(s)", warmUp);
		Map<String, Integer> servedBy = new TreeMap<>();
		int calls = 20;
		for (int i = 0; i < calls; i++) {
			for (var product : profile(users).getFavoritesList()) {
				servedBy.merge(product.getServedBy(), 1, Integer::sum);
			}
		}
		line("%d GetUserProfile calls made %d product calls: %s", calls, calls * 2, servedBy);
		check(servedBy.keySet().equals(java.util.Set.of("product-a", "product-b"))
				&& servedBy.get("product-a").equals(servedBy.get("product-b")), "product calls split evenly");
	}

	private void newInstanceIsFollowed(InMemoryServiceRegistry discovery, UserServiceGrpc.UserServiceBlockingStub users) {
		title("A new instance is followed as soon as it registers (no polling)");
		AtomicLong seenAt = new AtomicLong();
		try (Subscription subscription = discovery.watch("product-service", (instances) -> {
			if (instances.size() == 3) {
				seenAt.compareAndSet(0, System.nanoTime());
			}
		})) {
			startProduct("product-c");
			long firstCallAt = 0;
			int calls = 0;
			while (firstCallAt == 0 && calls < 100) {
				calls++;
				if (profile(users).getFavoritesList().stream().anyMatch((p) -> p.getServedBy().equals("product-c"))) {
					firstCallAt = System.nanoTime();
				}
			}
			check(firstCallAt != 0, "product-c receives calls");
			if (firstCallAt != 0) {
				line("product-c registered; it served a call %.1f ms after discovery announced it (%d calls later)",
						(firstCallAt - seenAt.get()) / 1e6, calls);
			}
		}
	}

	private void circuitOpensAndCloses(UserServiceGrpc.UserServiceBlockingStub users) {
		title("product-b starts failing: its circuit opens, traffic moves to the others, it recovers and rejoins");
		FaultSwitch faults = product("product-b").getBean(FaultSwitch.class);
		GrpcCircuitBreakers breakers = context("user-service").getBean(GrpcCircuitBreakers.class);
		faults.setFailing(true);
		int failed = 0;
		int calls = 0;
		while (breakers.openCircuits().isEmpty() && calls < 100) {
			calls++;
			try {
				profile(users);
			}
			catch (StatusRuntimeException ex) {
				failed++;
			}
		}
		line("product-b answers UNAVAILABLE: %d of %d calls failed, then its instance breaker opened: %s", failed,
				calls, breakers.openCircuits());
		check(breakers.openCircuits().stream().anyMatch((name) -> name.startsWith("product-service/")),
				"product-b's instance circuit opened after " + failed + " failed calls (threshold 3)");
		Map<String, Integer> servedBy = new TreeMap<>();
		int failedAfter = 0;
		for (int i = 0; i < 20; i++) {
			try {
				profile(users).getFavoritesList().forEach((p) -> servedBy.merge(p.getServedBy(), 1, Integer::sum));
			}
			catch (StatusRuntimeException ex) {
				failedAfter++;
			}
		}
		line("next 20 calls: %d failed, product calls served by %s", failedAfter, servedBy);
		check(failedAfter == 0 && !servedBy.containsKey("product-b"), "traffic moved to the other instances, no call failed");
		faults.setFailing(false);
		long healed = System.nanoTime();
		boolean rejoined = false;
		while (!rejoined && System.nanoTime() - healed < TimeUnit.SECONDS.toNanos(20)) {
			rejoined = profile(users).getFavoritesList().stream().anyMatch((p) -> p.getServedBy().equals("product-b"));
		}
		line("product-b healed; it served again %.1f s later (recovery-timeout 5s, one trial call, circuit closed)",
				(System.nanoTime() - healed) / 1e9);
		check(rejoined && breakers.openCircuits().isEmpty(), "product-b rejoined and every circuit is closed");
	}

	private void oneTraceAcrossServices(UserServiceGrpc.UserServiceBlockingStub users) {
		title("One call, one trace across user-service and product-service");
		UserProfile profile = profile(users);
		line("user-service answered in trace    %s", profile.getTraceId());
		for (var product : profile.getFavoritesList()) {
			line("%-9s answered in trace    %s", product.getServedBy(), product.getTraceId());
		}
		check(!profile.getTraceId().isEmpty() && profile.getFavoritesList()
			.stream()
			.allMatch((product) -> product.getTraceId().equals(profile.getTraceId())),
				"both services' spans share one trace id (the get-product span and Boot's gRPC client/server spans)");
	}

	private ConfigurableApplicationContext product(String instanceName) {
		return this.contexts.stream()
			.filter((context) -> instanceName.equals(context.getEnvironment().getProperty("example.instance-name")))
			.findFirst()
			.orElseThrow();
	}

	private ConfigurableApplicationContext context(String applicationName) {
		return this.contexts.stream()
			.filter((context) -> applicationName.equals(context.getEnvironment().getProperty("spring.application.name")))
			.findFirst()
			.orElseThrow();
	}

	private void leaderElectedAndReplaced(InMemoryServiceRegistry discovery,
			UserServiceGrpc.UserServiceBlockingStub users) throws Exception {
		title("The product-service instances elect a leader; only it refreshes the catalogue");
		ConfigurableApplicationContext leader = awaitProductLeader(null);
		long firstToken = leader.getBean(LeaderElection.class).fencingToken();
		Thread.sleep(1000);
		for (ConfigurableApplicationContext product : products()) {
			line("%-9s leader=%-5s catalogue refreshes=%d", name(product),
					product.getBean(LeaderElection.class).isLeader(),
					product.getBean(CatalogueRefresher.class).refreshes());
		}
		check(products().stream()
			.filter((product) -> product != leader)
			.allMatch((product) -> product.getBean(CatalogueRefresher.class).refreshes() == 0)
				&& leader.getBean(CatalogueRefresher.class).refreshes() > 0,
				"only the leader (" + name(leader) + ", fencing token " + firstToken + ") ran the job");

		title("The leader shuts down gracefully while calls keep flowing");
		String leaderName = name(leader);
		AtomicBoolean running = new AtomicBoolean(true);
		AtomicInteger ok = new AtomicInteger();
		AtomicInteger failed = new AtomicInteger();
		List<String> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
		Thread traffic = new Thread(() -> {
			while (running.get()) {
				try {
					profile(users);
					ok.incrementAndGet();
				}
				catch (StatusRuntimeException ex) {
					failed.incrementAndGet();
					errors.add(ex.getStatus().toString());
				}
			}
		}, "demo-traffic");
		traffic.start();
		while (ok.get() < 50) {
			Thread.onSpinWait();
		}
		long t0 = System.nanoTime();
		leader.close();
		this.contexts.remove(leader);
		long closeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
		ConfigurableApplicationContext next = awaitProductLeader(leader);
		long failoverMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
		long nextToken = next.getBean(LeaderElection.class).fencingToken();
		int before = ok.get();
		while (ok.get() < before + 50) {
			Thread.onSpinWait();
		}
		running.set(false);
		traffic.join();
		line("%s: health NOT_SERVING, deregistered, resigned, drained and stopped in %d ms", leaderName, closeMillis);
		line("new leader %s with fencing token %d (was %d), %d ms after the shutdown began", name(next), nextToken,
				firstToken, failoverMillis);
		line("%d calls succeeded, %d failed during the shutdown; product-service now has %d instances", ok.get(),
				failed.get(), discovery.getInstances("product-service").size());
		check(nextToken > firstToken, "a new leader was elected with a higher fencing token");
		check(failed.get() == 0, "no call failed during the graceful shutdown" + (errors.isEmpty() ? "" : " " + errors));
		check(discovery.getInstances("product-service").size() == 2, leaderName + " left discovery");
	}

	private ConfigurableApplicationContext awaitProductLeader(ConfigurableApplicationContext previous)
			throws InterruptedException {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
		while (System.nanoTime() < deadline) {
			for (ConfigurableApplicationContext product : products()) {
				if (product != previous && product.isActive() && product.getBean(LeaderElection.class).isLeader()) {
					return product;
				}
			}
			Thread.sleep(20);
		}
		throw new IllegalStateException("No product-service leader within 30 s");
	}

	private List<ConfigurableApplicationContext> products() {
		return this.contexts.stream()
			.filter((context) -> context.getEnvironment().getProperty("example.instance-name", "").startsWith("product-"))
			.toList();
	}

	private static String name(ConfigurableApplicationContext context) {
		return context.getEnvironment().getProperty("example.instance-name");
	}

	private void finalStatus() {
		title("Final status of user-service (getEnhancedServiceStatus, also at /actuator/grpcscale)");
		EnhancedServiceManager manager = context("user-service").getBean(EnhancedServiceManager.class);
		EnhancedServiceStatus status = manager.getEnhancedServiceStatus();
		for (ServiceInstance instance : status.services()) {
			line("registered: %s %s at %s", instance.serviceName(), shortId(instance), instance.address());
		}
		if (status.discovery() != null) {
			line("discovery: provider=%s reachable=%s instances=%s", status.discovery().backend().provider(),
					status.discovery().backend().reachable(), status.discovery().instances());
		}
		if (status.circuitBreaker() != null) {
			var metrics = manager.getCircuitBreakerMetrics();
			line("circuitBreaker: open=%s; guarded calls total=%d ok=%d failed=%d rejected=%d",
					status.circuitBreaker().openCircuits(), metrics.totalRequests(), metrics.successfulRequests(),
					metrics.failedRequests(), metrics.rejectedRequests());
		}
		if (status.health() != null) {
			line("health: %d instance(s) probed every %s, %d up", status.health().instances().size(),
					status.health().options().interval(),
					status.health().instances().stream().filter((health) -> health.isUp()).count());
		}
		line("shuttingDown=%s", status.shuttingDown());
		check(status.discovery() != null && status.discovery().instances().get("product-service") == 2,
				"status shows 2 product-service instances");
	}

	private UserProfile profile(UserServiceGrpc.UserServiceBlockingStub users) {
		return users.withDeadlineAfter(Duration.ofSeconds(5))
			.getUserProfile(GetUserProfileRequest.newBuilder().setUserId("u-1").build());
	}

	private void startProduct(String instanceName) {
		start(ProductServiceApplication.class, ProductServiceApplication.CONFIG_NAME, instanceName);
	}

	private ConfigurableApplicationContext start(Class<?> application, String configName, String instanceName) {
		// the applications' own configuration files, overridden as command-line arguments would be:
		// free ports on 127.0.0.1, no HTTP server, a quiet log
		ConfigurableApplicationContext context = new SpringApplicationBuilder(application)
			.properties("spring.config.name=" + configName)
			.run("--example.instance-name=" + instanceName, "--spring.grpc.server.port=0",
					"--spring.grpc.server.address=127.0.0.1", "--spring.grpc.server.shutdown.grace-period=5s",
					"--spring.main.banner-mode=off", "--spring.main.web-application-type=none",
					"--logging.level.root=WARN", "--grpc.scale.service-discovery.memory.namespace=" + NAMESPACE);
		this.contexts.add(context);
		return context;
	}

	private void closeAll() {
		for (int i = this.contexts.size() - 1; i >= 0; i--) {
			this.contexts.get(i).close();
		}
		this.contexts.clear();
	}

	private void title(String title) {
		this.out.println();
		this.out.printf("[%d] %s%n", ++this.step, title);
	}

	private void line(String format, Object... args) {
		this.out.printf("    " + format + "%n", args);
	}

	private void check(boolean ok, String what) {
		this.out.printf("    %s %s%n", ok ? "PASS" : "FAIL", what);
		if (!ok) {
			this.failures.add("step " + this.step + ": " + what);
		}
	}

	private static String shortId(ServiceInstance instance) {
		String id = instance.instanceId();
		return (id.length() > 8) ? id.substring(0, 8) : id;
	}

}
