import type { FastifyReply, FastifyRequest } from 'fastify';
import { Eta } from 'eta';
import type { Operator } from './session.ts';
import { VIEWS_DIR } from './files.ts';

export type FlashKind = 'ok' | 'error';

export interface Flash {
  kind: FlashKind;
  text: string;
}

/** The cookie that carries a message across the redirect after a form (post, redirect, get). */
const FLASH_COOKIE = 'plio_console_flash';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in superuser, on console pages past sign-in. */
    operator?: Operator;
  }
}

const eta = new Eta({ views: VIEWS_DIR, cache: true, autoEscape: true });

/** The section a page belongs to, highlighted in the navigation. */
export type Section = 'organizations' | 'users' | 'migrations' | 'health' | 'sign-in';

/**
 * Renders a page in the console layout. Every page gets the signed-in
 * operator, a CSRF token for its forms and the message left by the
 * previous form, if any.
 */
export async function renderPage(
  request: FastifyRequest,
  reply: FastifyReply,
  template: string,
  data: Record<string, unknown> & { title: string; section: Section },
): Promise<FastifyReply> {
  const flash = takeFlash(request, reply);
  const html = eta.render(template, { ...data, operator: request.operator, csrf: reply.generateCsrf(), flash, formatBytes, formatDate });
  return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
}

/** Renders a fragment (no layout) for htmx to swap in. */
export function renderFragment(reply: FastifyReply, template: string, data: Record<string, unknown>): FastifyReply {
  return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(eta.render(template, { ...data, formatBytes, formatDate }));
}

/** Leaves a message for the next page and sends the browser there (303: the next request is a GET). */
export function redirectWith(reply: FastifyReply, location: string, flash?: Flash): FastifyReply {
  if (flash) reply.setCookie(FLASH_COOKIE, JSON.stringify(flash), { path: '/console', httpOnly: true, sameSite: 'strict', secure: 'auto' });
  return reply.redirect(location, 303);
}

function takeFlash(request: FastifyRequest, reply: FastifyReply): Flash | undefined {
  const raw = request.cookies[FLASH_COOKIE];
  if (raw === undefined) return undefined;
  reply.clearCookie(FLASH_COOKIE, { path: '/console' });
  try {
    const flash = JSON.parse(raw) as Flash;
    return (flash.kind === 'ok' || flash.kind === 'error') && typeof flash.text === 'string' ? flash : undefined;
  } catch {
    return undefined;
  }
}

/** `1.2 MB`: sizes as a person reads them. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '—';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value >= 10 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** `2026-12-01 09:30` (UTC). */
export function formatDate(date: Date | null | undefined): string {
  if (!date) return '—';
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
