package dev.grpcscale.test.etcd;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;

import org.jspecify.annotations.Nullable;

/**
 * One member's process: launched from its command, killed ({@code kill -9}), paused and resumed by signal,
 * and launched again with the same command, so with the same ports and data directory. Its output is appended
 * to {@link MemberEndpoints#stdout()} over restarts.
 */
final class EtcdMember {

	private final int index;

	private final MemberEndpoints endpoints;

	private final List<String> command;

	private volatile @Nullable Process process;

	/**
	 * @param index the member's index in its cluster, as error messages name it
	 * @param endpoints its ports and directories
	 * @param command the command that starts it
	 */
	EtcdMember(int index, MemberEndpoints endpoints, List<String> command) {
		this.index = index;
		this.endpoints = endpoints;
		this.command = List.copyOf(command);
	}

	MemberEndpoints endpoints() {
		return this.endpoints;
	}

	/**
	 * Starts the process; the one before, if any, must have ended.
	 * @throws UncheckedIOException if the command cannot be started
	 */
	void launch() {
		ProcessBuilder builder = new ProcessBuilder(this.command).redirectErrorStream(true)
			.redirectOutput(ProcessBuilder.Redirect.appendTo(this.endpoints.stdout().toFile()));
		try {
			this.process = builder.start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Could not start " + this.command.get(0), ex);
		}
	}

	/** Whether the process is alive (a stopped process is alive). */
	boolean isRunning() {
		Process process = this.process;
		return process != null && process.isAlive();
	}

	/**
	 * The process id.
	 * @throws IllegalStateException if the member is not running
	 */
	long pid() {
		Process process = this.process;
		if (process == null || !process.isAlive()) {
			throw new IllegalStateException("member " + this.index + " is not running");
		}
		return process.pid();
	}

	/** {@code kill -9}, waiting until the process has ended. */
	void kill() {
		Process process = this.process;
		if (process != null) {
			process.destroyForcibly();
			awaitExit(process);
		}
	}

	/** {@code SIGSTOP}: the process keeps its sockets but answers nothing until {@link #resume()}. */
	void pause() {
		signal("STOP");
	}

	/** {@code SIGCONT} of a process {@link #pause() paused}. */
	void resume() {
		signal("CONT");
	}

	/** Kills a running process, paused or not, without failing: for the cluster's close and the JVM's exit. */
	void destroy() {
		Process process = this.process;
		if (process != null && process.isAlive()) {
			// a stopped process only dies of SIGKILL once continued
			signalQuietly(process.pid(), "CONT");
			process.destroyForcibly();
			awaitExit(process);
		}
	}

	private void signal(String signal) {
		if (!signalQuietly(pid(), signal)) {
			throw new IllegalStateException("kill -" + signal + " of member " + this.index + " failed");
		}
	}

	private static boolean signalQuietly(long pid, String signal) {
		try {
			Process kill = new ProcessBuilder("kill", "-" + signal.toUpperCase(Locale.ROOT), Long.toString(pid))
				.redirectErrorStream(true)
				.start();
			return kill.waitFor() == 0;
		}
		catch (IOException ex) {
			return false;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
	}

	private static void awaitExit(Process process) {
		try {
			process.waitFor();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
