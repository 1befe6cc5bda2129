package dev.grpcscale.test.etcd;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/** The process side of a member, with a shell standing in for etcd. */
class EtcdMemberTests {

	@TempDir
	Path dir;

	private EtcdMember member;

	@AfterEach
	void destroy() {
		if (this.member != null) {
			this.member.destroy();
		}
	}

	@Test
	void killedMemberLaunchesAgainAsANewProcessAppendingToTheSameOutput() {
		this.member = shell(3, "echo started; exec sleep 60");
		this.member.launch();
		long first = this.member.pid();
		awaitOutputLines(1);
		this.member.kill();
		assertThat(this.member.isRunning()).isFalse();
		assertThat(ProcessHandle.of(first).map(ProcessHandle::isAlive).orElse(false)).isFalse();
		this.member.launch();
		assertThat(this.member.isRunning()).isTrue();
		assertThat(this.member.pid()).isNotEqualTo(first);
		awaitOutputLines(2);
	}

	@Test
	void pausedMemberIsStoppedButAliveUntilResumed() {
		this.member = shell(0, "exec sleep 60");
		this.member.launch();
		this.member.pause();
		Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> state(this.member.pid()) == 'T');
		assertThat(this.member.isRunning()).isTrue();
		this.member.resume();
		Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> state(this.member.pid()) != 'T');
	}

	@Test
	void destroyEndsAPausedMember() {
		this.member = shell(0, "exec sleep 60");
		this.member.launch();
		long pid = this.member.pid();
		this.member.pause();
		this.member.destroy();
		assertThat(this.member.isRunning()).isFalse();
		assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
	}

	@Test
	void memberThatIsNotRunningHasNoPidAndTakesNoSignal() {
		this.member = shell(2, "exec sleep 60");
		assertThatIllegalStateException().isThrownBy(this.member::pid).withMessage("member 2 is not running");
		this.member.launch();
		this.member.kill();
		assertThatIllegalStateException().isThrownBy(this.member::pause).withMessage("member 2 is not running");
		assertThat(this.member.isRunning()).isFalse();
	}

	@Test
	void commandThatCannotStartNamesTheBinary() {
		String missing = this.dir.resolve("no-etcd-here").toString();
		this.member = new EtcdMember(0, endpoints(), List.of(missing));
		assertThatExceptionOfType(UncheckedIOException.class).isThrownBy(this.member::launch)
			.withMessage("Could not start " + missing);
	}

	private EtcdMember shell(int index, String script) {
		return new EtcdMember(index, endpoints(), List.of("sh", "-c", script));
	}

	private MemberEndpoints endpoints() {
		return new MemberEndpoints("m0", "http", 1, 2, 2, this.dir.resolve("m0"));
	}

	private void awaitOutputLines(int count) {
		Path stdout = endpoints().stdout();
		Awaitility.await()
			.atMost(Duration.ofSeconds(10))
			.until(() -> Files.exists(stdout) && Files.readAllLines(stdout).equals(java.util.Collections.nCopies(count, "started")));
	}

	/** The state letter Linux gives a process in {@code /proc/<pid>/stat}: {@code T} when stopped. */
	private static char state(long pid) throws Exception {
		String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
		return stat.charAt(stat.lastIndexOf(')') + 2);
	}

}
