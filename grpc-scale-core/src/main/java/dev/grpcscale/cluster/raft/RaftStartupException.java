package dev.grpcscale.cluster.raft;

/**
 * A {@link RaftLeaderElection} could not start its Raft server: its storage directory cannot be used, or its
 * port is taken. The message names the setting, the value and what is expected.
 */
public final class RaftStartupException extends IllegalStateException {

	private static final long serialVersionUID = 1L;

	/** What failed. */
	public enum Reason {

		/** The storage directory cannot be created, written or locked. */
		STORAGE,

		/** The Raft port is in use on the bind address. */
		PORT_IN_USE

	}

	private final Reason reason;

	/**
	 * Creates the exception.
	 * @param reason what failed
	 * @param message names the setting, the value and what is expected
	 * @param cause the underlying failure
	 */
	public RaftStartupException(Reason reason, String message, Throwable cause) {
		super(message, cause);
		this.reason = reason;
	}

	/** What failed. */
	public Reason reason() {
		return this.reason;
	}

}
