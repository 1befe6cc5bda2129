package dev.grpcscale.autoconfigure;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps {@code docs/configuration.md} equal to the configuration metadata the build generates from
 * {@link GrpcScaleProperties}: a property that exists is documented, a documented property exists. To
 * rewrite the generated part after changing the properties, run
 * {@code ./mvnw -pl grpc-scale-test-support,grpc-scale-core,grpc-scale-autoconfigure test -Dtest=ConfigurationReferenceTests -Dgrpcscale.update-docs=true}.
 */
class ConfigurationReferenceTests {

	private static final String BEGIN = "<!-- BEGIN GENERATED: configuration metadata -->";

	private static final String END = "<!-- END GENERATED -->";

	private static final Path METADATA = Path.of("target/classes/META-INF/spring-configuration-metadata.json");

	private static final Path REFERENCE = Path.of("../docs/configuration.md");

	@Test
	void configurationReferenceMatchesTheMetadata() throws IOException {
		String table = renderTable();
		String document = Files.readString(REFERENCE, StandardCharsets.UTF_8);
		int begin = document.indexOf(BEGIN);
		int end = document.indexOf(END);
		assertThat(begin).as("%s has the marker %s", REFERENCE, BEGIN).isNotNegative();
		assertThat(end).as("%s has the marker %s", REFERENCE, END).isGreaterThan(begin);
		String current = document.substring(begin + BEGIN.length(), end);
		if (Boolean.getBoolean("grpcscale.update-docs")) {
			Files.writeString(REFERENCE, document.substring(0, begin + BEGIN.length()) + table + document.substring(end),
					StandardCharsets.UTF_8);
			return;
		}
		assertThat(current).as("docs/configuration.md is out of date with the configuration metadata; "
				+ "regenerate it with -Dgrpcscale.update-docs=true (see this test's Javadoc)")
			.isEqualTo(table);
	}

	private static String renderTable() throws IOException {
		JsonNode metadata = JsonMapper.builder().build().readTree(Files.readString(METADATA));
		List<JsonNode> properties = new ArrayList<>();
		metadata.get("properties").forEach((property) -> {
			if (property.get("name").asString().startsWith("grpc.scale.")) {
				properties.add(property);
			}
		});
		properties.sort(Comparator.comparing((JsonNode property) -> property.get("name").asString()));
		StringBuilder table = new StringBuilder("\n| property | type | default | description |\n|---|---|---|---|\n");
		for (JsonNode property : properties) {
			table.append("| `")
				.append(property.get("name").asString())
				.append("` | ")
				.append(simpleType(property.path("type").asString("")))
				.append(" | ")
				.append(defaultValue(property.get("defaultValue")))
				.append(" | ")
				.append(property.path("description").asString("").replace("|", "\\|").replace("\n", " "))
				.append(" |\n");
		}
		return table.toString();
	}

	private static String simpleType(String type) {
		return type.replaceAll("java\\.(lang|util|time)\\.", "")
			.replaceAll("dev\\.grpcscale\\.autoconfigure\\.GrpcScale\\w*Properties\\$", "")
			.replace("dev.grpcscale.discovery.consul.", "")
			.replace("<", "&lt;")
			.replace(">", "&gt;");
	}

	private static String defaultValue(JsonNode value) {
		if (value == null || value.isNull()) {
			return "";
		}
		if (value.isArray()) {
			List<String> items = new ArrayList<>();
			value.forEach((item) -> items.add(item.asString()));
			return "`" + String.join(", ", items) + "`";
		}
		String text = value.asString();
		return text.isEmpty() ? "`\"\"`" : "`" + text + "`";
	}

}
