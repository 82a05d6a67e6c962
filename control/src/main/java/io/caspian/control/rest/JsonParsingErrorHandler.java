package io.caspian.control.rest;

import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Answers requests too malformed to reach a route (a URI or header past its limit, a bad request line) with the
 * same JSON error as everything else, instead of Pekko's plain text: a client parses one error form only. Named
 * by {@code pekko.http.server.parsing.error-handler}; Pekko makes it by reflection, hence the public constructor.
 */
public final class JsonParsingErrorHandler extends ParsingErrorHandler {
    @Override
    public HttpResponse handle(StatusCode status, ErrorInfo error, LoggingAdapter log, ServerSettings settings) {
        // The summary only, printable ASCII only: the detail may quote the bad input back (a 9,000-character URI,
        // control characters).
        String summary = error.summary().replaceAll("[^\\x20-\\x7e]", "?");
        return RestApi.error(status, status.reason().toUpperCase(java.util.Locale.ROOT).replace(' ', '_'),
                summary.length() > 200 ? summary.substring(0, 200) + "..." : summary);
    }
}
