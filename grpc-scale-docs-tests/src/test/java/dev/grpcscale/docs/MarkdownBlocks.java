package dev.grpcscale.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;

/**
 * The fenced code blocks of the guide's pages ({@code docs/*.md} and {@code README.md}), each with the
 * {@code <!-- ... -->} marker on the nearest non-blank line before it, if any.
 */
final class MarkdownBlocks {

	/** The repository's root, seen from this module's directory (where Maven runs its tests). */
	static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

	private static final Pattern FENCE = Pattern.compile("^```(\\w*)\\s*$");

	private static final Pattern MARKER = Pattern.compile("^<!--\\s*(.*?)\\s*-->$");

	private MarkdownBlocks() {
	}

	/** The guide's pages. */
	static List<Path> pages() {
		try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
			List<Path> pages = new ArrayList<>(docs.filter((path) -> path.toString().endsWith(".md")).sorted().toList());
			pages.add(ROOT.resolve("README.md"));
			return pages;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	static List<Block> blocks(Path page) {
		List<String> lines = read(page).lines().toList();
		List<Block> blocks = new ArrayList<>();
		for (int i = 0; i < lines.size(); i++) {
			Matcher fence = FENCE.matcher(lines.get(i));
			if (!fence.matches()) {
				continue;
			}
			int end = i + 1;
			while (end < lines.size() && !lines.get(end).startsWith("```")) {
				end++;
			}
			String marker = null;
			for (int j = i - 1; j >= 0; j--) {
				if (!lines.get(j).isBlank()) {
					Matcher m = MARKER.matcher(lines.get(j).trim());
					marker = m.matches() ? m.group(1) : null;
					break;
				}
			}
			blocks.add(new Block(page, i + 1, fence.group(1), marker, String.join("\n", lines.subList(i + 1, end))));
			i = end;
		}
		return blocks;
	}

	static String read(Path path) {
		try {
			return Files.readString(path, StandardCharsets.UTF_8);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * One fenced block.
	 * @param page the page
	 * @param line the line of its opening fence, from 1
	 * @param language what follows the fence ({@code java}, {@code yaml}, ...)
	 * @param marker the text of the HTML comment just before it, or {@code null}
	 * @param body its lines, without the fences
	 */
	record Block(Path page, int line, String language, @Nullable String marker, String body) {

		String where() {
			return ROOT.relativize(this.page) + ":" + this.line;
		}

	}

}
