package io.caspian.control.rest.auth;

import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Lets a request into the routes it guards only with {@code Authorization: Bearer <token>} naming an accepted
 * token. It looks at the headers alone, before any route runs or the body is read, so a refused request changes
 * nothing and learns nothing (not even whether its path exists). A refusal is a 401 with the API's JSON error and
 * {@code WWW-Authenticate: Bearer realm="caspian"}; why it was refused is in the message but never the token.
 */
public final class BearerAuthenticator extends AllDirectives {
    private static final String SCHEME = "Bearer ";

    private final RestAuth auth;
    /** The API's error answer for a status, kind and message, so a client parses one error form only. */
    private final ErrorAnswer error;

    /** How the API writes an error: {@code RestApi.error}. */
    @FunctionalInterface
    public interface ErrorAnswer {
        HttpResponse answer(org.apache.pekko.http.javadsl.model.StatusCode status, String kind, String message);
    }

    public BearerAuthenticator(RestAuth auth, ErrorAnswer error) {
        this.auth = auth;
        this.error = error;
    }

    public Route around(Route inner) {
        return auth.tokens().<Route>map(tokens -> optionalHeaderValueByName("Authorization", header -> {
            Optional<String> refusal = refusal(tokens, header);
            return refusal.isEmpty() ? inner : complete(error.answer(StatusCodes.UNAUTHORIZED, "UNAUTHENTICATED",
                    refusal.get()).addHeader(HttpHeader.parse("WWW-Authenticate", "Bearer realm=\"caspian\"")));
        })).orElse(inner);
    }

    /** Why {@code header} does not let the request in; empty when it does. */
    static Optional<String> refusal(Tokens tokens, Optional<String> header) {
        if (header.isEmpty()) {
            return Optional.of("this API needs a token: send \"Authorization: Bearer <token>\"");
        }
        String h = header.get();
        if (h.length() <= SCHEME.length() || !h.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            return Optional.of("the Authorization header must be \"Bearer <token>\"");
        }
        return tokens.accepts(h.substring(SCHEME.length()).strip()) ? Optional.empty()
                : Optional.of("the token is not one this control plane accepts");
    }
}
