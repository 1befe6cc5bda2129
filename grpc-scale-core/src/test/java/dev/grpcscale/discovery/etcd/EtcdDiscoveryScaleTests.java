package dev.grpcscale.discovery.etcd;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.LoggerFactory;

import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.test.etcd.EtcdCluster;
import dev.grpcscale.test.junit.CloseAfterEach;
import dev.grpcscale.test.net.TcpProxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link EtcdServiceRegistry}'s discovery cache at 20,000 instances of one service (about 7 MB of values, past
 * gRPC's 4 MiB default message limit) with oversized junk values among them.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EtcdDiscoveryScaleTests {

	private static final String NAMESPACE = "/scale";

	private static final int INSTANCES = 20_000;

	/** Values of about 1.4 MiB, under etcd's 1.5 MiB request limit: 12 of them exceed one 16 MiB message. */
	private static final int JUNK_VALUES = 12;

	private static final int JUNK_SIZE = 1_400_000;

	private static EtcdCluster etcd;

	private static Client raw;

	@RegisterExtension
	final CloseAfterEach resources = new CloseAfterEach();

	@BeforeAll
	static void startEtcd() throws Exception {
		etcd = EtcdCluster.startSingle();
		raw = Client.builder().endpoints(etcd.clientEndpoints().toArray(String[]::new)).build();
		List<ByteSequence[]> entries = new ArrayList<>();
		for (int i = 0; i < INSTANCES; i++) {
			String id = id(i);
			entries.add(new ByteSequence[] { bytes(key(id)), bytes(json(id, 10_000 + i % 50_000)) });
		}
		putInBatches(entries);
		// junk among the instances, in key order: too large for one page, too large to decode, not JSON
		byte[] junk = new byte[JUNK_SIZE];
		Arrays.fill(junk, (byte) 'x');
		for (int j = 0; j < JUNK_VALUES; j++) {
			raw.getKVClient().put(bytes(key(junkId(j))), ByteSequence.from(junk)).get(30, TimeUnit.SECONDS);
		}
		String big = "{\"serviceName\":\"orders\",\"instanceId\":\"i-15000-big\",\"host\":\"10.0.0.1\",\"port\":1,"
				+ "\"metadata\":{\"blob\":\"" + "y".repeat(100_000) + "\"},\"status\":\"UP\","
				+ "\"registrationTime\":\"2025-01-01T00:00:00Z\"}";
		raw.getKVClient().put(bytes(key("i-15000-big")), bytes(big)).get(30, TimeUnit.SECONDS);
	}

	@AfterAll
	static void stopEtcd() {
		if (raw != null) {
			raw.close();
		}
		if (etcd != null) {
			etcd.close();
		}
	}

	@Test
	void aFreshClientLoadsTwentyThousandInstancesPastGrpcsDefaultMessageLimitAndSkipsJunkNamingEachKey() {
		ListAppender<ILoggingEvent> warnings = captureWarnings();
		try {
			EtcdServiceRegistry client = this.resources.track(EtcdServiceRegistry.builder()
				.endpoints(etcd.clientEndpoints())
				.namespace(NAMESPACE)
				.requestTimeout(Duration.ofSeconds(20))
				.build());

			List<ServiceInstance> instances = client.getInstances("orders");

			assertThat(instances).hasSize(INSTANCES);
			assertThat(instances.get(0).instanceId()).isEqualTo(id(0));
			assertThat(instances.get(INSTANCES - 1).instanceId()).isEqualTo(id(INSTANCES - 1));
			assertThat(client.status().reachable()).isTrue();
			Set<String> warned = warnedKeys(warnings);
			for (int j = 0; j < JUNK_VALUES; j++) {
				assertThat(warned).contains(key(junkId(j)));
			}
			assertThat(warned).contains(key("i-15000-big"));
		}
		finally {
			stopCapturing(warnings);
		}
	}

	@Test
	void aSingleValueLargerThanTheInboundLimitIsSkippedWithoutBlockingTheRest() {
		ListAppender<ILoggingEvent> warnings = captureWarnings();
		try {
			EtcdServiceRegistry client = this.resources.track(EtcdServiceRegistry.builder()
				.endpoints(etcd.clientEndpoints())
				.namespace(NAMESPACE)
				.requestTimeout(Duration.ofSeconds(20))
				.maxInboundMessageSize(EtcdClients.MIN_MAX_INBOUND_MESSAGE_SIZE)
				.build());

			assertThat(client.getInstances("orders")).hasSize(INSTANCES);
			assertThat(events(warnings)).filteredOn((event) -> event.getFormattedMessage().contains(key(junkId(0))))
				.anySatisfy((event) -> assertThat(event.getFormattedMessage()).contains("inbound message limit"));
		}
		finally {
			stopCapturing(warnings);
		}
	}

	@Test
	@Order(Integer.MAX_VALUE) // last: it changes the data, then restores it
	void aRunningCacheCutOffWhileEtcdCompactedRebuildsAllTwentyThousandInstances() throws Exception {
		URI endpoint = URI.create(etcd.clientEndpoint(0));
		TcpProxy proxy = this.resources.track(TcpProxy.start(endpoint.getHost(), endpoint.getPort()));
		EtcdServiceRegistry client = this.resources.track(EtcdServiceRegistry.builder()
			.endpoints("http://" + proxy.hostAndPort())
			.namespace(NAMESPACE)
			.requestTimeout(Duration.ofSeconds(20))
			.build());
		List<Integer> sizes = new CopyOnWriteArrayList<>();
		client.watch("orders", (instances) -> sizes.add(instances.size()));
		await().atMost(Duration.ofSeconds(60)).until(() -> sizes.contains(INSTANCES));
		int resyncsBefore = client.cacheResyncs();

		proxy.drop();
		await().atMost(Duration.ofSeconds(20)).until(() -> !client.status().reachable());
		// while the client is cut off: 100 instances leave, 100 others arrive, and etcd compacts past it all
		List<String> gone = new ArrayList<>();
		for (int i = 0; i < 100; i++) {
			gone.add(id(i * 7));
			raw.getKVClient().delete(bytes(key(id(i * 7)))).get(10, TimeUnit.SECONDS);
		}
		List<ByteSequence[]> arrivals = new ArrayList<>();
		for (int i = 0; i < 100; i++) {
			arrivals.add(new ByteSequence[] { bytes(key("new-" + i)), bytes(json("new-" + i, 20_000 + i)) });
		}
		putInBatches(arrivals);
		long last = raw.getKVClient().get(bytes(key(id(1)))).get(10, TimeUnit.SECONDS).getHeader().getRevision();
		raw.getKVClient().compact(last).get(10, TimeUnit.SECONDS);

		proxy.heal();
		await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
			Set<String> ids = client.getInstances("orders").stream().map(ServiceInstance::instanceId)
				.collect(Collectors.toSet());
			assertThat(ids).hasSize(INSTANCES).contains("new-0", "new-99").doesNotContainAnyElementsOf(gone);
		});
		assertThat(client.cacheResyncs()).isGreaterThan(resyncsBefore);
		assertThat((Long) client.status().details().get("revision")).isGreaterThanOrEqualTo(last);
		assertThat(client.status().reachable()).isTrue();
		assertThat(sizes).as("the watcher never saw an empty or half-filled list")
			.allMatch((size) -> size == INSTANCES);
		// and the new watch works after the rebuild
		raw.getKVClient().delete(bytes(key("new-0"))).get(10, TimeUnit.SECONDS);
		await().atMost(Duration.ofSeconds(20)).until(() -> sizes.get(sizes.size() - 1) == INSTANCES - 1);
		// restore what the other tests expect
		List<ByteSequence[]> restore = new ArrayList<>();
		for (String id : gone) {
			restore.add(new ByteSequence[] { bytes(key(id)), bytes(json(id, 10_000)) });
		}
		putInBatches(restore);
		for (int i = 0; i < 100; i++) {
			raw.getKVClient().delete(bytes(key("new-" + i))).get(10, TimeUnit.SECONDS);
		}
	}

	/**
	 * On etcd before 3.4.31 / 3.5.13 (Debian's 3.4.23 here), about one run in 30 meets etcd's bug
	 * (etcd-io/etcd#17529, see docs/discovery.md): the compaction finds the blackholed watcher with a full send
	 * buffer, etcd drops the notice and skips the watcher ahead, so after the heal the client gets at most the
	 * events etcd had queued, then nothing. Only that outcome (no notice, and the changes not all there 30 s
	 * after the heal) is taken for etcd's and the fault repeated once; a notice grpc-scale got and then
	 * mishandled fails at once.
	 */
	@Test
	@Order(Integer.MAX_VALUE - 1)
	void aWatchThatFellBehindACompactionIsCancelledByEtcdAndTheServiceIsReloadedInPages() throws Exception {
		ListAppender<ILoggingEvent> logs = captureWarnings();
		try {
			URI endpoint = URI.create(etcd.clientEndpoint(0));
			TcpProxy proxy = this.resources.track(TcpProxy.start(endpoint.getHost(), endpoint.getPort()));
			EtcdServiceRegistry client = this.resources.track(EtcdServiceRegistry.builder()
				.endpoints("http://" + proxy.hostAndPort())
				.namespace(NAMESPACE)
				.requestTimeout(Duration.ofSeconds(20))
				.build());
			List<Integer> sizes = new CopyOnWriteArrayList<>();
			client.watch("orders", (instances) -> sizes.add(instances.size()));
			await().atMost(Duration.ofSeconds(60)).until(() -> sizes.contains(INSTANCES));
			int resyncsBefore = client.cacheResyncs();

			int port = fallBehindACompaction(proxy, 30_001);
			if (!compactionReached(client, logs, port)) {
				LoggerFactory.getLogger(EtcdDiscoveryScaleTests.class)
					.warn("etcd sent no compaction notice and not every change (etcd-io/etcd#17529);"
							+ " repeating the fault once");
				port = fallBehindACompaction(proxy, port + 1);
			}

			int expected = port;
			await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(client.getInstances("orders"))
				.hasSize(INSTANCES).allMatch((instance) -> instance.port() == expected));
			assertThat(events(logs)).extracting(ILoggingEvent::getFormattedMessage)
				.anyMatch((message) -> message.contains("fell behind a compaction"));
			assertThat(client.cacheResyncs()).isGreaterThan(resyncsBefore);
			assertThat(sizes).allMatch((size) -> size == INSTANCES);
		}
		finally {
			stopCapturing(logs);
		}
	}

	/**
	 * Blackholes the client's connection (it stays open but carries nothing: etcd's send buffers fill, the
	 * watch falls behind), rewrites every instance twice, compacts, and heals.
	 * @return the port every instance has now
	 */
	private static int fallBehindACompaction(TcpProxy proxy, int firstPort) throws Exception {
		proxy.blackhole();
		int port = firstPort;
		for (int round = 0; round < 2; round++) {
			port = firstPort + round;
			List<ByteSequence[]> rewrites = new ArrayList<>();
			for (int i = 0; i < INSTANCES; i++) {
				rewrites.add(new ByteSequence[] { bytes(key(id(i))), bytes(json(id(i), port)) });
			}
			putInBatches(rewrites);
		}
		long last = raw.getKVClient().get(bytes(key(id(1)))).get(10, TimeUnit.SECONDS).getHeader().getRevision();
		raw.getKVClient().compact(last).get(10, TimeUnit.SECONDS);
		proxy.heal();
		return port;
	}

	/**
	 * Whether, within 30 s of the heal, the compaction notice reached grpc-scale or every change did; neither
	 * (at most some of the changes arrived, then nothing) is etcd-io/etcd#17529's outcome.
	 */
	private static boolean compactionReached(EtcdServiceRegistry client, ListAppender<ILoggingEvent> logs, int port) {
		try {
			await().atMost(Duration.ofSeconds(30))
				.until(() -> events(logs).stream()
					.anyMatch((event) -> event.getFormattedMessage().contains("fell behind a compaction"))
						|| client.getInstances("orders").stream().allMatch((instance) -> instance.port() == port));
			return true;
		}
		catch (ConditionTimeoutException ex) {
			return false;
		}
	}

	/** Writes through one client: transactions of 100 puts, many in flight at once. */
	private static void putInBatches(List<ByteSequence[]> entries) throws Exception {
		List<CompletableFuture<?>> inFlight = new ArrayList<>();
		for (int start = 0; start < entries.size(); start += 100) {
			List<ByteSequence[]> batch = entries.subList(start, Math.min(entries.size(), start + 100));
			Op[] puts = batch.stream()
				.map((entry) -> Op.put(entry[0], entry[1], PutOption.DEFAULT))
				.toArray(Op[]::new);
			inFlight.add(raw.getKVClient().txn().Then(puts).commit());
			if (inFlight.size() == 32) {
				CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
				inFlight.clear();
			}
		}
		CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
	}

	private static String id(int i) {
		return String.format("i-%05d", i);
	}

	private static String junkId(int j) {
		return String.format("i-%05d-junk", 1_000 + j * 1_500);
	}

	private static String key(String id) {
		return NAMESPACE + "/services/orders/" + id;
	}

	private static String json(String id, int port) {
		ServiceInstance instance = new ServiceInstance("orders", id, "10.1." + (port % 250) + ".7", port,
				Map.of("zone", "zone-" + (port % 3), "version", "1.42.7",
						"description", "an instance of orders with metadata of a realistic size for this test"),
				InstanceStatus.UP, Instant.parse("2025-01-01T00:00:00Z"));
		return new String(EtcdInstanceCodec.encode(instance), StandardCharsets.UTF_8);
	}

	private static ByteSequence bytes(String text) {
		return ByteSequence.from(text, StandardCharsets.UTF_8);
	}

	private static Set<String> warnedKeys(ListAppender<ILoggingEvent> warnings) {
		Set<String> keys = new HashSet<>();
		for (ILoggingEvent event : events(warnings)) {
			if (event.getLevel() == Level.WARN && event.getArgumentArray() != null
					&& event.getArgumentArray().length > 0) {
				keys.add(String.valueOf(event.getArgumentArray()[0]));
			}
		}
		return keys;
	}

	private static ListAppender<ILoggingEvent> captureWarnings() {
		Logger logger = (Logger) LoggerFactory.getLogger(EtcdDiscoveryCache.class);
		ListAppender<ILoggingEvent> appender = new ListAppender<>();
		appender.start();
		logger.addAppender(appender);
		return appender;
	}

	private static void stopCapturing(ListAppender<ILoggingEvent> appender) {
		Logger logger = (Logger) LoggerFactory.getLogger(EtcdDiscoveryCache.class);
		logger.detachAppender(appender);
	}

	private static List<ILoggingEvent> events(ListAppender<ILoggingEvent> appender) {
		// the appender adds under its own lock, from other threads
		synchronized (appender) {
			return List.copyOf(appender.list);
		}
	}

}
