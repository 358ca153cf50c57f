import { Controller, Get, Header } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Public } from '@jifen/platform';
import { dashboardCss, dashboardHtml } from './page';

/**
 * Only this origin's files, no inline script or style, no other origin to talk to: the page
 * loads its script and style sheet from the routes below and calls the analytics API here.
 */
export const dashboardCsp = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The browser script, read once at start: `public/dashboard.js` beside this file (in `dist`,
 * the copy the build writes there). A source-map comment is dropped: the map is not served.
 */
const dashboardJs = readFileSync(join(__dirname, 'public', 'dashboard.js'), 'utf8').replace(
  /\n\/\/# sourceMappingURL=\S+\s*$/,
  '\n',
);

/**
 * The analytics dashboard (docs/analytics.md, "Dashboard"). The page and its two assets need
 * no key: the page asks for the analyst key and sends it as a Bearer header to `/analytics/*`,
 * which stay for analysts and admins only.
 */
@Controller('dashboard')
@Public()
export class DashboardController {
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', dashboardCsp)
  @Header('Cache-Control', 'no-store')
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Referrer-Policy', 'no-referrer')
  page(): string {
    return dashboardHtml;
  }

  @Get('assets/dashboard.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @Header('X-Content-Type-Options', 'nosniff')
  script(): string {
    return dashboardJs;
  }

  @Get('assets/dashboard.css')
  @Header('Content-Type', 'text/css; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @Header('X-Content-Type-Options', 'nosniff')
  styles(): string {
    return dashboardCss;
  }
}
