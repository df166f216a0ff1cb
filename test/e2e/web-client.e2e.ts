/**
 * Browser tests of the real web client (`../shared/plio-web`, or
 * `PLIO_WEB_DIR`) against our server, in one process: one server on
 * 127.0.0.1:8001, the client on 127.0.0.1:8080 and one Chromium for every
 * journey below (the ports are those the client was built for).
 */
import './web-client/creator-and-learner.ts';
import './web-client/expired-token.ts';
import './web-client/organization-workspace.ts';
import './web-client/sso-play.ts';
