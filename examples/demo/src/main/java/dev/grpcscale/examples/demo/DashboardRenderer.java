package dev.grpcscale.examples.demo;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.StatusRuntimeException;

import dev.grpcscale.discovery.DiscoveryNameResolverProvider;
import dev.grpcscale.examples.demo.Landscape.Application;
import dev.grpcscale.examples.user.GetUserProfileRequest;
import dev.grpcscale.examples.user.UserServiceGrpc;

/**
 * Renders the picture of grpc-scale's Grafana dashboard from a real run, since Grafana cannot run where the
 * docs are written: starts the demo's applications as processes on etcd ({@link ProcessLandscape}) with
 * {@code /actuator/prometheus} exposed, calls user-service (which calls product-service through
 * {@code discovery:///} inside {@code executeWithEnhancements}) for about a minute while one product-service
 * instance fails for a while, a new one starts and the leader stops, scrapes every application every
 * {@value #SCRAPE_SECONDS} s, and draws {@link DashboardPanels} with {@link DashboardSvg}. Also writes the
 * dashboard JSON next to the picture.
 *
 * <p>Usage (see docs/operations.md): {@code java -Dloader.main=dev.grpcscale.examples.demo.DashboardRenderer
 * -cp examples/demo/target/grpc-scale-demo.jar org.springframework.boot.loader.launch.PropertiesLauncher
 * docs/grafana-dashboard.svg}
 */
public final class DashboardRenderer {

	static final int SCRAPE_SECONDS = 2;

	/** The rate window: five scrapes, as Grafana's $__rate_interval would be with a 2 s scrape interval. */
	static final double RATE_WINDOW_SECONDS = 5 * SCRAPE_SECONDS;

	private DashboardRenderer() {
	}

	public static void main(String[] args) throws Exception {
		Path svg = Path.of((args.length > 0) ? args[0] : "docs/grafana-dashboard.svg");
		Path json = svg.resolveSibling("grafana-dashboard.json");
		Files.writeString(json, DashboardPanels.grafanaJson(), StandardCharsets.UTF_8);
		ScrapeHistory history = new ScrapeHistory();
		List<DashboardSvg.Event> events = new ArrayList<>();
		try (ProcessLandscape landscape = ProcessLandscape.start(null, ChildJvm.of(System.getProperty("java.class.path")))) {
			landscape.addArguments(List.of("--management.endpoints.web.exposure.include=health,grpcscale,example,prometheus",
					"--grpc.scale.metrics.refresh-interval=2s", "--grpc.scale.health-check.interval=2s",
					"--management.otlp.metrics.export.enabled=false"));
			Map<String, Application> applications = new LinkedHashMap<>();
			applications.put("product-1", Application.PRODUCT_SERVICE);
			applications.put("product-2", Application.PRODUCT_SERVICE);
			applications.put("user-1", Application.USER_SERVICE);
			landscape.start(applications);
			System.out.println("Started: " + landscape.description());
			DiscoveryNameResolverProvider.registerDefault();
			ManagedChannel channel = DiscoveryNameResolverProvider
				.configure(ManagedChannelBuilder.forTarget("discovery:///user-service").usePlaintext(),
						landscape.discovery())
				.build();
			AtomicBoolean calling = new AtomicBoolean(true);
			Thread caller = new Thread(() -> call(channel, calling), "dashboard-caller");
			caller.start();
			long start = System.nanoTime();
			try {
				for (int second = 0; second <= 80; second += SCRAPE_SECONDS) {
					awaitSecond(start, second);
					switch (second) {
						case 16 -> event(events, start, "product-2 fails", () -> landscape.setFailing("product-2", true));
						case 36 -> event(events, start, "product-2 healed", () -> landscape.setFailing("product-2", false));
						case 46 -> event(events, start, "product-3 starts",
								() -> landscape.start(Map.of("product-3", Application.PRODUCT_SERVICE)));
						case 60 -> event(events, start, "product-1 stops", () -> landscape.stop("product-1"));
						default -> {
						}
					}
					history.tick((System.nanoTime() - start) / 1e9);
					for (String instance : List.of("product-1", "product-2", "product-3", "user-1")) {
						try {
							history.add(instance, landscape.prometheus(instance));
						}
						catch (IllegalArgumentException | java.io.IOException ex) {
							// not running (yet, or any more)
						}
					}
				}
			}
			finally {
				calling.set(false);
				caller.join();
				channel.shutdownNow();
			}
		}
		StringBuilder subtitle = new StringBuilder("Demo on etcd: product-1, product-2, user-1; dashed lines:");
		events.forEach((event) -> subtitle.append(' ').append(Math.round(event.seconds())).append(" s ").append(event.label()).append(';'));
		Files.writeString(svg, DashboardSvg.render(history, events, RATE_WINDOW_SECONDS, subtitle.toString()),
				StandardCharsets.UTF_8);
		System.out.println("Wrote " + svg + " and " + json + " from " + history.ticks().size() + " scrapes");
		System.exit(0);
	}

	private interface Step {

		void run() throws Exception;

	}

	private static void event(List<DashboardSvg.Event> events, long start, String label, Step step) throws Exception {
		double seconds = (System.nanoTime() - start) / 1e9;
		System.out.printf("%.0f s: %s%n", seconds, label);
		events.add(new DashboardSvg.Event(seconds, label));
		step.run();
	}

	private static void awaitSecond(long start, int second) throws InterruptedException {
		long wait = start + Duration.ofSeconds(second).toNanos() - System.nanoTime();
		if (wait > 0) {
			Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
		}
	}

	/** About 20 profile reads a second, each fetching two products through product-service's breakers. */
	private static void call(ManagedChannel channel, AtomicBoolean calling) {
		UserServiceGrpc.UserServiceBlockingStub users = UserServiceGrpc.newBlockingStub(channel);
		while (calling.get()) {
			try {
				users.withDeadlineAfter(Duration.ofSeconds(3))
					.getUserProfile(GetUserProfileRequest.newBuilder().setUserId("u-1").build());
			}
			catch (StatusRuntimeException ex) {
				// counted by the breakers; the dashboard shows it
			}
			try {
				Thread.sleep(50);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return;
			}
		}
	}

}
