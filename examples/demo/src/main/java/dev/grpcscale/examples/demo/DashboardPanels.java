package dev.grpcscale.examples.demo;

import java.util.List;

import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import static dev.grpcscale.examples.demo.PanelQuery.divide;
import static dev.grpcscale.examples.demo.PanelQuery.max;
import static dev.grpcscale.examples.demo.PanelQuery.rate;
import static dev.grpcscale.examples.demo.PanelQuery.select;
import static dev.grpcscale.examples.demo.PanelQuery.sum;

/**
 * grpc-scale's Grafana dashboard: a row per meter group, a time-series panel per meter. The same panels
 * make {@code docs/grafana-dashboard.json} ({@link #grafanaJson()}) and the picture {@link DashboardSvg}
 * draws from real scrapes.
 */
final class DashboardPanels {

	/** A panel: its title, its unit (a Grafana unit id) and its one query, whose series are named by labels. */
	record Panel(String title, String unit, PanelQuery query, String... legendLabels) {
	}

	/** A row of panels. */
	record Row(String title, List<Panel> panels) {
	}

	static final List<Row> ROWS = List.of(
			new Row("Circuit breakers", List.of(
					new Panel("Calls through service breakers, by outcome", "reqps",
							sum(rate(select("grpc_scale_circuitbreaker_calls_total", "kind", "service")), "name",
									"outcome"), "name", "outcome"),
					new Panel("Open breakers, by kind", "none",
							sum(select("grpc_scale_circuitbreaker_state", "state", "open"), "kind"), "kind"))),
			new Row("Discovery", List.of(
					new Panel("Instances, by service and state", "none",
							max(select("grpc_scale_discovery_instances"), "service", "state"), "service", "state"),
					new Panel("Discovery backend reachable", "none",
							max(select("grpc_scale_discovery_backend_reachable"), "provider", "instance"), "instance"),
					new Panel("Watch lag: backend answer to resolvers (mean)", "s",
							divide(sum(rate(select("grpc_scale_discovery_watch_lag_seconds_sum")), "instance"),
									sum(rate(select("grpc_scale_discovery_watch_lag_seconds_count")), "instance")),
							"instance"),
					new Panel("Registration latency (mean since start)", "s",
							divide(sum(select("grpc_scale_discovery_registration_seconds_sum"), "instance"),
									sum(select("grpc_scale_discovery_registration_seconds_count"), "instance")),
							"instance"),
					new Panel("Discovery lease renewal round trip (mean)", "s",
							divide(sum(rate(select("grpc_scale_discovery_lease_renewal_seconds_sum")), "instance"),
									sum(rate(select("grpc_scale_discovery_lease_renewal_seconds_count")), "instance")),
							"instance"))),
			new Row("Health checks", List.of(
					new Panel("Probed instances, by service and state", "none",
							max(select("grpc_scale_health_instances"), "service", "state"), "service", "state"),
					new Panel("Probe latency (mean), by service and outcome", "s",
							divide(sum(rate(select("grpc_scale_health_probe_seconds_sum")), "service", "outcome"),
									sum(rate(select("grpc_scale_health_probe_seconds_count")), "service", "outcome")),
							"service", "outcome"))),
			new Row("Cluster", List.of(
					new Panel("Leader (1) per node", "none",
							max(select("grpc_scale_cluster_leader"), "election", "instance"), "instance"),
					new Panel("Fencing token", "none",
							max(select("grpc_scale_cluster_fencing_token"), "election"), "election"),
					new Panel("Lease renewal round trip (mean)", "s",
							divide(sum(rate(select("grpc_scale_cluster_lease_renewal_seconds_sum")), "instance"),
									sum(rate(select("grpc_scale_cluster_lease_renewal_seconds_count")), "instance")),
							"instance"),
					new Panel("Leadership transitions (since start)", "none",
							sum(select("grpc_scale_cluster_leadership_transitions_total"), "instance", "type"),
							"instance", "type"))),
			new Row("executeWithEnhancements", List.of(
					new Panel("Operations, by operation and outcome", "ops",
							sum(rate(select("grpc_scale_operation_seconds_count")), "grpc_scale_operation",
									"grpc_scale_outcome"), "grpc_scale_operation", "grpc_scale_outcome"),
					new Panel("Operation latency (mean)", "s",
							divide(sum(rate(select("grpc_scale_operation_seconds_sum")), "grpc_scale_operation"),
									sum(rate(select("grpc_scale_operation_seconds_count")), "grpc_scale_operation")),
							"grpc_scale_operation"))));

	private DashboardPanels() {
	}

	/** The importable Grafana dashboard: a Prometheus data source variable and every row and panel. */
	static String grafanaJson() {
		JsonMapper json = JsonMapper.shared();
		ObjectNode dashboard = json.createObjectNode();
		dashboard.put("title", "grpc-scale");
		dashboard.put("uid", "grpc-scale");
		dashboard.put("schemaVersion", 39);
		dashboard.put("refresh", "30s");
		dashboard.putObject("time").put("from", "now-30m").put("to", "now");
		ObjectNode datasource = dashboard.putObject("templating").putArray("list").addObject();
		datasource.put("name", "datasource").put("label", "Prometheus").put("type", "datasource")
			.put("query", "prometheus");
		ArrayNode panels = dashboard.putArray("panels");
		int id = 1;
		int y = 0;
		for (Row row : ROWS) {
			ObjectNode rowPanel = panels.addObject();
			rowPanel.put("type", "row").put("title", row.title()).put("id", id++).put("collapsed", false);
			rowPanel.putArray("panels");
			rowPanel.putObject("gridPos").put("h", 1).put("w", 24).put("x", 0).put("y", y++);
			int x = 0;
			for (Panel panel : row.panels()) {
				ObjectNode node = panels.addObject();
				node.put("type", "timeseries").put("title", panel.title()).put("id", id++);
				node.putObject("datasource").put("type", "prometheus").put("uid", "${datasource}");
				node.putObject("gridPos").put("h", 8).put("w", 12).put("x", x).put("y", y);
				node.putObject("fieldConfig").putObject("defaults").put("unit", panel.unit());
				ObjectNode target = node.putArray("targets").addObject();
				target.put("refId", "A").put("expr", panel.query().promql()).put("legendFormat", legend(panel));
				target.putObject("datasource").put("type", "prometheus").put("uid", "${datasource}");
				x = (x == 0) ? 12 : 0;
				y += (x == 0) ? 8 : 0;
			}
			y += (x == 12) ? 8 : 0;
		}
		return json.writerWithDefaultPrettyPrinter().writeValueAsString(dashboard) + "\n";
	}

	private static String legend(Panel panel) {
		StringBuilder legend = new StringBuilder();
		for (String label : panel.legendLabels()) {
			legend.append((legend.length() > 0) ? " " : "").append("{{").append(label).append("}}");
		}
		return legend.toString();
	}

}
