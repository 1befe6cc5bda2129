/**
 * Sources of the guide's Java snippets: each region between {@code // tag::<name>[]} and
 * {@code // end::<name>[]} is shown in docs/ where a {@code <!-- snippet: <file>#<name> -->} marker names it,
 * and {@code DocsSnippetsTests} fails when the page and the compiled source differ. Indented with four
 * spaces, as the pages show them.
 */
package dev.grpcscale.docs.snippets;
