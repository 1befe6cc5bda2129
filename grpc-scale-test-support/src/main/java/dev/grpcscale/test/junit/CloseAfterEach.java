package dev.grpcscale.test.junit;

import java.util.Deque;
import java.util.concurrent.ConcurrentLinkedDeque;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Closes, after each test, what the test tracked: the last tracked first, so a client closes before the
 * server or etcd cluster it talks to. Every resource is closed even when one fails; the first failure is
 * thrown with the others suppressed. Runs after the test class's {@code @AfterEach} methods.
 *
 * <pre>{@code
 * @RegisterExtension
 * final CloseAfterEach resources = new CloseAfterEach();
 *
 * EtcdCluster etcd = this.resources.track(EtcdCluster.start(3));
 * }</pre>
 *
 * Thread-safe: a resource may be tracked from any thread.
 */
public final class CloseAfterEach implements AfterEachCallback {

	private final Deque<AutoCloseable> resources = new ConcurrentLinkedDeque<>();

	/**
	 * Closes a resource after the current test.
	 * @param <T> the resource's type
	 * @param resource what to close
	 * @return {@code resource}, for use in an expression
	 */
	public <T extends AutoCloseable> T track(T resource) {
		this.resources.push(resource);
		return resource;
	}

	@Override
	public void afterEach(ExtensionContext context) throws Exception {
		closeAll();
	}

	/**
	 * Closes every tracked resource now, the last tracked first, and forgets them.
	 * @throws Exception the first failure to close, with later ones suppressed
	 */
	public void closeAll() throws Exception {
		@Nullable Exception failure = null;
		for (AutoCloseable resource = this.resources.poll(); resource != null; resource = this.resources.poll()) {
			try {
				resource.close();
			}
			catch (Exception ex) {
				if (failure == null) {
					failure = ex;
				}
				else {
					failure.addSuppressed(ex);
				}
			}
		}
		if (failure != null) {
			throw failure;
		}
	}

}
