package dev.grpcscale.consul;

/**
 * The Consul agent answered with a status that the call does not accept (for example 403 for a missing ACL
 * permission, 500 for a server error). {@link #status()} is the HTTP status; the message holds the start of the
 * agent's answer, never the ACL token.
 */
public class ConsulHttpException extends ConsulException {

	private static final long serialVersionUID = 1L;

	private final int status;

	private final String body;

	/**
	 * An error answer.
	 * @param message what was asked and the answer
	 * @param status the HTTP status
	 * @param body the answer's body, cut to a length fit for a log line
	 */
	public ConsulHttpException(String message, int status, String body) {
		super(message);
		this.status = status;
		this.body = body;
	}

	/** The HTTP status of the answer. */
	public int status() {
		return this.status;
	}

	/** The start of the answer's body. */
	public String body() {
		return this.body;
	}

	/** Whether the agent failed (a 5xx status) rather than refused the request. */
	public boolean isServerError() {
		return this.status >= 500;
	}

}
