package dev.grpcscale.test.junit;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;

class CloseAfterEachTests {

	@Test
	void closesTheLastTrackedFirstAndForgetsThem() throws Exception {
		List<String> closed = new CopyOnWriteArrayList<>();
		CloseAfterEach resources = new CloseAfterEach();
		resources.track(() -> closed.add("etcd"));
		resources.track(() -> closed.add("client"));
		resources.closeAll();
		resources.closeAll();
		assertThat(closed).containsExactly("client", "etcd");
	}

	@Test
	void closesEveryResourceWhenOneFailsAndThrowsTheFirstFailureWithTheOthersSuppressed() {
		List<String> closed = new CopyOnWriteArrayList<>();
		CloseAfterEach resources = new CloseAfterEach();
		resources.track(() -> {
			throw new IllegalStateException("second");
		});
		resources.track(() -> closed.add("middle"));
		resources.track(() -> {
			throw new IllegalStateException("first");
		});
		assertThatException().isThrownBy(resources::closeAll)
			.withMessage("first")
			.satisfies((ex) -> assertThat(ex.getSuppressed()).extracting(Throwable::getMessage).containsExactly("second"));
		assertThat(closed).containsExactly("middle");
	}

}
