package dev.grpcscale.docs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import dev.grpcscale.docs.MarkdownBlocks.Block;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps the guide's code equal to code the build compiles and runs. A block preceded by
 * {@code <!-- snippet: <path>[#<tag>,<tag>...] -->} (path from the repository's root) must show that file
 * whole, or the regions between {@code tag::<tag>[]} and {@code end::<tag>[]} in it, dedented and joined by
 * a blank line. Every Java block must be such a snippet: the sources live in this module's
 * {@code dev.grpcscale.docs.snippets} (compiled here) and in {@code examples/getting-started} (built and
 * tested by the reactor). A dependency block naming a version of grpc-scale, jetcd or resilience4j names
 * the one the root pom builds with. To rewrite the pages after changing a source, run
 * {@code ./mvnw -q -o -pl grpc-scale-docs-tests -am test -Dtest='DocsSnippetsTests' -Dsurefire.failIfNoSpecifiedTests=false -Dgrpcscale.update-docs=true}.
 */
class DocsSnippetsTests {

	private static final String SNIPPET = "snippet:";

	private static final Path GETTING_STARTED = MarkdownBlocks.ROOT.resolve("examples/getting-started");

	@Test
	void everySnippetShowsItsSourceAsItIs() throws IOException {
		List<String> differences = new ArrayList<>();
		boolean update = Boolean.getBoolean("grpcscale.update-docs");
		for (Path page : MarkdownBlocks.pages()) {
			String document = MarkdownBlocks.read(page);
			String rewritten = document;
			// from the last block up, so a rewritten block does not move the ones still to check
			List<Block> blocks = new ArrayList<>(MarkdownBlocks.blocks(page));
			Collections.reverse(blocks);
			for (Block block : blocks) {
				if (block.marker() == null || !block.marker().startsWith(SNIPPET)) {
					continue;
				}
				String expected = render(block.marker().substring(SNIPPET.length()).trim());
				if (!expected.equals(block.body())) {
					differences.add(block.where() + " differs from " + block.marker());
					rewritten = replaceBody(rewritten, block, expected);
				}
			}
			if (update && !rewritten.equals(document)) {
				Files.writeString(page, rewritten, StandardCharsets.UTF_8);
			}
		}
		if (!update) {
			assertThat(differences).as("pages out of date with their sources; rewrite them with "
					+ "-Dgrpcscale.update-docs=true (see this test's Javadoc)").isEmpty();
		}
	}

	@Test
	void everyJavaBlockIsTakenFromCompiledSources() {
		List<String> loose = MarkdownBlocks.pages()
			.stream()
			.flatMap((page) -> MarkdownBlocks.blocks(page).stream())
			.filter((block) -> block.language().equals("java"))
			.filter((block) -> block.marker() == null || !block.marker().startsWith(SNIPPET))
			.map(Block::where)
			.toList();
		assertThat(loose).as("Java blocks without a <!-- snippet: ... --> marker").isEmpty();
	}

	@Test
	void gettingStartedShowsEveryFileOfTheProjectItDescribes() throws IOException {
		List<String> shown = MarkdownBlocks.blocks(MarkdownBlocks.ROOT.resolve("docs/getting-started.md"))
			.stream()
			.filter((block) -> block.marker() != null && block.marker().startsWith(SNIPPET))
			.map((block) -> block.marker().substring(SNIPPET.length()).trim())
			.toList();
		List<String> files;
		try (Stream<Path> tree = Files.walk(GETTING_STARTED)) {
			files = tree.filter(Files::isRegularFile)
				.map((path) -> MarkdownBlocks.ROOT.relativize(path).toString().replace('\\', '/'))
				.filter((path) -> !path.startsWith("examples/getting-started/target/"))
				.sorted()
				.toList();
		}
		assertThat(files).isNotEmpty();
		assertThat(shown).containsAll(files);
	}

	@Test
	void gettingStartedBuildsOnTheVersionsThisProjectIsBuiltAndTestedWith() {
		String rootPom = MarkdownBlocks.read(MarkdownBlocks.ROOT.resolve("pom.xml"));
		String userPom = MarkdownBlocks.read(GETTING_STARTED.resolve("pom.xml"));
		assertThat(element(userPom, "grpc-scale.version")).as("the starter's version")
			.isEqualTo(projectVersion(rootPom));
		assertThat(parentVersion(userPom)).as("spring-boot-starter-parent's version")
			.isEqualTo(element(rootPom, "spring-boot.version"));
		assertThat(userPom).contains("<artifactId>spring-boot-starter-parent</artifactId>")
			.contains("<artifactId>protoc-gen-grpc-java</artifactId>\n              <version>"
					+ element(rootPom, "protoc-gen-grpc-java.version") + "</version>");
	}

	@Test
	void everyVersionAPageGivesIsTheOneThisProjectBuildsWith() {
		String rootPom = MarkdownBlocks.read(MarkdownBlocks.ROOT.resolve("pom.xml"));
		Map<String, String> expected = Map.of("dev.grpcscale:", projectVersion(rootPom), "io.etcd:jetcd-",
				element(rootPom, "jetcd.version"), "io.github.resilience4j:", element(rootPom, "resilience4j.version"));
		Pattern dependency = Pattern.compile(
				"<groupId>([^<]+)</groupId>\\s*<artifactId>([^<]+)</artifactId>\\s*<version>([^<]+)</version>");
		List<String> wrong = new ArrayList<>();
		int checked = 0;
		for (Path page : MarkdownBlocks.pages()) {
			for (Block block : MarkdownBlocks.blocks(page)) {
				if (!block.language().equals("xml") || block.marker() != null) {
					continue;
				}
				Matcher matcher = dependency.matcher(block.body());
				while (matcher.find()) {
					String coordinates = matcher.group(1) + ":" + matcher.group(2);
					for (Map.Entry<String, String> entry : expected.entrySet()) {
						if (coordinates.startsWith(entry.getKey())) {
							checked++;
							if (!matcher.group(3).equals(entry.getValue())) {
								wrong.add(block.where() + ": " + coordinates + ":" + matcher.group(3) + " (built with "
										+ entry.getValue() + ")");
							}
						}
					}
				}
			}
		}
		assertThat(checked).isGreaterThanOrEqualTo(3);
		assertThat(wrong).isEmpty();
	}

	/** Renders {@code path} or {@code path#tag,tag}. */
	static String render(String spec) {
		int hash = spec.indexOf('#');
		Path file = MarkdownBlocks.ROOT.resolve((hash < 0) ? spec : spec.substring(0, hash));
		assertThat(file).as("snippet source %s", spec).isRegularFile();
		String content = MarkdownBlocks.read(file);
		if (hash < 0) {
			return content.stripTrailing();
		}
		List<String> regions = new ArrayList<>();
		for (String tag : spec.substring(hash + 1).split(",")) {
			regions.add(region(content, tag.trim(), spec));
		}
		return String.join("\n\n", regions);
	}

	private static String region(String content, String tag, String spec) {
		List<String> lines = content.lines().toList();
		int start = -1;
		int end = -1;
		for (int i = 0; i < lines.size(); i++) {
			if (lines.get(i).contains("tag::" + tag + "[]")) {
				start = i;
			}
			else if (lines.get(i).contains("end::" + tag + "[]")) {
				end = i;
				break;
			}
		}
		assertThat(start).as("tag::%s[] in %s", tag, spec).isNotNegative();
		assertThat(end).as("end::%s[] in %s", tag, spec).isGreaterThan(start);
		List<String> body = lines.subList(start + 1, end)
			.stream()
			.filter((line) -> !line.contains("tag::") && !line.contains("end::"))
			.map((line) -> line.replace("\t", "    ").stripTrailing())
			.toList();
		int indent = body.stream()
			.filter((line) -> !line.isBlank())
			.mapToInt((line) -> line.length() - line.stripLeading().length())
			.min()
			.orElse(0);
		return String.join("\n", body.stream().map((line) -> line.isBlank() ? "" : line.substring(indent)).toList());
	}

	private static String replaceBody(String document, Block block, String body) {
		List<String> lines = new ArrayList<>(document.lines().toList());
		int first = block.line();
		int count = block.body().isEmpty() ? 0 : block.body().split("\n", -1).length;
		for (int i = 0; i < count; i++) {
			lines.remove(first);
		}
		lines.addAll(first, List.of(body.split("\n", -1)));
		return String.join("\n", lines) + (document.endsWith("\n") ? "\n" : "");
	}

	private static String element(String xml, String name) {
		Matcher matcher = Pattern.compile("<" + Pattern.quote(name) + ">([^<]*)</" + Pattern.quote(name) + ">")
			.matcher(xml);
		assertThat(matcher.find()).as("<%s>", name).isTrue();
		return matcher.group(1).trim();
	}

	private static String projectVersion(String rootPom) {
		Matcher matcher = Pattern.compile("<artifactId>grpc-scale-parent</artifactId>\\s*<version>([^<]+)</version>")
			.matcher(rootPom);
		assertThat(matcher.find()).isTrue();
		return matcher.group(1);
	}

	private static String parentVersion(String pom) {
		Matcher matcher = Pattern.compile("<parent>.*?<version>([^<]+)</version>.*?</parent>", Pattern.DOTALL)
			.matcher(pom);
		assertThat(matcher.find()).isTrue();
		return matcher.group(1);
	}

}
