package dev.grpcscale.examples.demo;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

import dev.grpcscale.Subscription;
import dev.grpcscale.discovery.DiscoveryNameResolverProvider;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.examples.user.GetUserProfileRequest;
import dev.grpcscale.examples.user.UserProfile;
import dev.grpcscale.examples.user.UserServiceGrpc;

import static dev.grpcscale.examples.demo.Landscape.Application.PRODUCT_SERVICE;
import static dev.grpcscale.examples.demo.Landscape.Application.USER_SERVICE;

/**
 * The demo's script: real Spring Boot applications serving gRPC over Netty on 127.0.0.1, wherever the
 * {@link Landscape} runs them. Each step prints what it did and what it measured, and checks the
 * outcome; {@link #run(boolean)} returns the exit code.
 */
final class DemoStory {

	private static final Duration AWAIT = Duration.ofSeconds(30);

	private final PrintStream out;

	private final Landscape landscape;

	private final List<String> products = new ArrayList<>();

	private final List<String> failures = new ArrayList<>();

	private int step;

	/**
	 * Creates the story.
	 * @param out where it is told
	 * @param landscape where the applications run; closed at the end of {@link #run(boolean)}
	 */
	DemoStory(PrintStream out, Landscape landscape) {
		this.out = out;
		this.landscape = landscape;
	}

	int run(boolean keepRunning) throws Exception {
		long started = System.nanoTime();
		this.out.println("grpc-scale demo: " + this.landscape.description());
		this.out.println();
		// A client outside the applications, on grpc-scale's core API: it follows discovery like they do.
		DiscoveryNameResolverProvider.registerDefault();
		ServiceDiscovery discovery = this.landscape.discovery();
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
			this.landscape.close();
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

	private void instancesRegister(ServiceDiscovery discovery) throws Exception {
		title("Instances register themselves with discovery");
		long t0 = System.nanoTime();
		Map<String, Landscape.Application> applications = new LinkedHashMap<>();
		applications.put("product-a", PRODUCT_SERVICE);
		applications.put("product-b", PRODUCT_SERVICE);
		applications.put("user-1", USER_SERVICE);
		this.landscape.start(applications);
		this.products.addAll(List.of("product-a", "product-b"));
		long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
		boolean products = awaitInstances(discovery, "product-service", 2);
		boolean users = awaitInstances(discovery, "user-service", 1);
		for (String service : List.of("product-service", "user-service")) {
			for (ServiceInstance instance : discovery.getInstances(service)) {
				line("%-15s %-10s at %s", service, shortId(instance.instanceId()), instance.address());
			}
		}
		line("3 applications started and registered in %d ms", millis);
		check(products, "2 product-service instances registered");
		check(users, "1 user-service instance registered");
	}

	private void callsAreBalanced(UserServiceGrpc.UserServiceBlockingStub users) {
		title("user-service calls product-service through discovery:///product-service, round robin");
		// Round robin picks among connected instances: wait until the channel has connected to both.
		int warmUp = 0;
		Set<String> seen = new HashSet<>();
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
		check(servedBy.keySet().equals(Set.of("product-a", "product-b"))
				&& servedBy.get("product-a").equals(servedBy.get("product-b")), "product calls split evenly");
	}

	private void newInstanceIsFollowed(ServiceDiscovery discovery, UserServiceGrpc.UserServiceBlockingStub users)
			throws Exception {
		title("A new instance is followed as soon as it registers (no polling)");
		AtomicLong seenAt = new AtomicLong();
		try (Subscription subscription = discovery.watch("product-service", (instances) -> {
			if (instances.size() == 3) {
				seenAt.compareAndSet(0, System.nanoTime());
			}
		})) {
			this.landscape.start(Map.of("product-c", PRODUCT_SERVICE));
			this.products.add("product-c");
			awaitInstances(discovery, "product-service", 3);
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

	private void circuitOpensAndCloses(UserServiceGrpc.UserServiceBlockingStub users) throws Exception {
		title("product-b starts failing: its circuit opens, traffic moves to the others, it recovers and rejoins");
		this.landscape.setFailing("product-b", true);
		int failed = 0;
		int calls = 0;
		while (openCircuits().isEmpty() && calls < 100) {
			calls++;
			try {
				profile(users);
			}
			catch (StatusRuntimeException ex) {
				failed++;
			}
		}
		List<String> open = openCircuits();
		line("product-b answers UNAVAILABLE: %d of %d calls failed, then its instance breaker opened: %s", failed,
				calls, open);
		check(open.stream().anyMatch((name) -> name.startsWith("product-service/")),
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
		this.landscape.setFailing("product-b", false);
		long healed = System.nanoTime();
		boolean rejoined = false;
		while (!rejoined && System.nanoTime() - healed < TimeUnit.SECONDS.toNanos(20)) {
			rejoined = profile(users).getFavoritesList().stream().anyMatch((p) -> p.getServedBy().equals("product-b"));
		}
		line("product-b healed; it served again %.1f s later (recovery-timeout 5s, one trial call, circuit closed)",
				(System.nanoTime() - healed) / 1e9);
		check(rejoined && openCircuits().isEmpty(), "product-b rejoined and every circuit is closed");
	}

	/** user-service's open circuits, from its status. */
	private List<String> openCircuits() throws Exception {
		List<String> open = new ArrayList<>();
		this.landscape.status("user-1")
			.path("circuitBreaker")
			.path("openCircuits")
			.forEach((name) -> open.add(name.asString()));
		return open;
	}

	private void leaderElectedAndReplaced(ServiceDiscovery discovery, UserServiceGrpc.UserServiceBlockingStub users)
			throws Exception {
		title("The product-service instances elect a leader; only it refreshes the catalogue");
		String leader = awaitProductLeader(null);
		long firstToken = fencingToken(leader);
		Thread.sleep(1000);
		boolean onlyLeader = true;
		for (String product : this.products) {
			long refreshes = this.landscape.example(product).path("catalogueRefreshes").asLong();
			line("%-9s leader=%-5s catalogue refreshes=%d", product, product.equals(leader), refreshes);
			onlyLeader &= product.equals(leader) ? refreshes > 0 : refreshes == 0;
		}
		JsonNode cluster = this.landscape.status(leader).path("cluster");
		line("%s announces its gRPC address %s; the cluster has %d members", leader,
				cluster.path("leader").path("address").asString(), cluster.path("nodes").size());
		check(onlyLeader, "only the leader (" + leader + ", fencing token " + firstToken + ") ran the job");

		title("The leader shuts down gracefully while calls keep flowing");
		AtomicBoolean running = new AtomicBoolean(true);
		AtomicInteger ok = new AtomicInteger();
		AtomicInteger failed = new AtomicInteger();
		List<String> errors = new CopyOnWriteArrayList<>();
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
		this.landscape.stop(leader);
		this.products.remove(leader);
		long closeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
		String next = awaitProductLeader(leader);
		long failoverMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
		long nextToken = fencingToken(next);
		int before = ok.get();
		while (ok.get() < before + 50) {
			Thread.onSpinWait();
		}
		running.set(false);
		traffic.join();
		boolean left = awaitInstances(discovery, "product-service", 2);
		line("%s: health NOT_SERVING, deregistered, resigned, drained and stopped in %d ms", leader, closeMillis);
		line("new leader %s with fencing token %d (was %d), %d ms after the shutdown began", next, nextToken,
				firstToken, failoverMillis);
		line("%d calls succeeded, %d failed during the shutdown; product-service now has %d instances", ok.get(),
				failed.get(), discovery.getInstances("product-service").size());
		check(nextToken > firstToken, "a new leader was elected with a higher fencing token");
		check(failed.get() == 0, "no call failed during the graceful shutdown" + (errors.isEmpty() ? "" : " " + errors));
		check(left, leader + " left discovery");
	}

	/** The product-service instance, other than {@code previous}, whose status says it leads. */
	private String awaitProductLeader(@Nullable String previous) throws Exception {
		long deadline = System.nanoTime() + AWAIT.toNanos();
		while (System.nanoTime() < deadline) {
			for (String product : this.products) {
				if (!product.equals(previous)
						&& this.landscape.status(product).path("cluster").path("isLeader").asBoolean()) {
					return product;
				}
			}
			Thread.sleep(20);
		}
		throw new IllegalStateException("No product-service leader within " + AWAIT.toSeconds() + " s");
	}

	/** The product's own leadership token ({@code 0} when it does not lead), as its status reports it. */
	private long fencingToken(String product) throws Exception {
		return this.landscape.status(product).path("cluster").path("ownFencingToken").asLong();
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

	private void finalStatus() throws Exception {
		title("Final status of user-service (getEnhancedServiceStatus, as /actuator/grpcscale serves it)");
		JsonNode status = this.landscape.status("user-1");
		for (JsonNode instance : status.path("services")) {
			line("registered: %s %s at %s:%d", instance.path("serviceName").asString(),
					shortId(instance.path("instanceId").asString()), instance.path("host").asString(),
					instance.path("port").asInt());
		}
		JsonNode discovery = status.path("discovery");
		line("discovery: provider=%s reachable=%s instances=%s", discovery.path("backend").path("provider").asString(),
				discovery.path("backend").path("reachable").asBoolean(), discovery.path("instances"));
		line("circuitBreaker: %d breakers, open=%s", status.path("circuitBreaker").path("breakers").size(),
				status.path("circuitBreaker").path("openCircuits"));
		int up = 0;
		for (JsonNode instance : status.path("health").path("instances")) {
			up += "UP".equals(instance.path("status").asString()) ? 1 : 0;
		}
		line("health: %d instance(s) probed, %d up", status.path("health").path("instances").size(), up);
		line("shuttingDown=%s", status.path("shuttingDown").asBoolean());
		check(discovery.path("instances").path("product-service").asInt() == 2,
				"status shows 2 product-service instances");
	}

	private boolean awaitInstances(ServiceDiscovery discovery, String service, int count) throws InterruptedException {
		long deadline = System.nanoTime() + AWAIT.toNanos();
		while (discovery.getInstances(service).size() != count && System.nanoTime() < deadline) {
			Thread.sleep(10);
		}
		return discovery.getInstances(service).size() == count;
	}

	private UserProfile profile(UserServiceGrpc.UserServiceBlockingStub users) {
		return users.withDeadlineAfter(Duration.ofSeconds(5))
			.getUserProfile(GetUserProfileRequest.newBuilder().setUserId("u-1").build());
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

	private static String shortId(String instanceId) {
		return (instanceId.length() > 8) ? instanceId.substring(0, 8) : instanceId;
	}

}
