import { may, type ConsoleRole } from '../../../modules/console/domain/console-user';

/** Server-rendered pages: no build step, no script needed to read them, every value escaped. */
export function esc(value: string | number | boolean | null | undefined): string {
  return String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

export type Lang = 'vi' | 'en';

const WORDS = {
  title: { vi: 'Trục liên thông văn bản — Bảng điều khiển', en: 'Document bus — Console' },
  overview: { vi: 'Tổng quan', en: 'Overview' },
  deliveries: { vi: 'Nhật ký chuyển phát', en: 'Delivery log' },
  endpoints: { vi: 'Điểm kết nối', en: 'Endpoints' },
  deadLetters: { vi: 'Thư lỗi', en: 'Dead letters' },
  logout: { vi: 'Đăng xuất', en: 'Log out' },
  login: { vi: 'Đăng nhập', en: 'Log in' },
  username: { vi: 'Tên đăng nhập', en: 'User name' },
  password: { vi: 'Mật khẩu', en: 'Password' },
  loginExpired: {
    vi: 'Phiên đăng nhập đã hết hạn; vui lòng đăng nhập lại.',
    en: 'The login form expired; please log in again.',
  },
  badLogin: { vi: 'Sai tên đăng nhập hoặc mật khẩu.', en: 'Wrong user name or password.' },
  lockedLogin: {
    vi: 'Tài khoản tạm khóa do nhập sai nhiều lần.',
    en: 'Account locked after repeated failures.',
  },
  search: { vi: 'Tìm kiếm', en: 'Search' },
  archivedIn: { vi: 'Đã chuyển vào kho lưu trữ, tháng', en: 'Archived, in the set of' },
  restoreWith: { vi: 'Khôi phục bằng', en: 'Restore it with' },
  documentId: { vi: 'Mã văn bản', en: 'DocumentId' },
  subject: { vi: 'Trích yếu', en: 'Subject' },
  sender: { vi: 'Nơi gửi', en: 'Sender' },
  recipient: { vi: 'Nơi nhận', en: 'Recipient' },
  state: { vi: 'Trạng thái', en: 'State' },
  priority: { vi: 'Độ khẩn', en: 'Urgency' },
  time: { vi: 'Thời gian', en: 'Time' },
  next: { vi: 'Trang sau', en: 'Next page' },
  timeline: { vi: 'Diễn biến văn bản', en: 'Document timeline' },
  history: { vi: 'Lịch sử', en: 'History' },
  lock: { vi: 'Khóa', en: 'Lock' },
  unlock: { vi: 'Mở khóa', en: 'Unlock' },
  reason: { vi: 'Lý do', en: 'Reason' },
  redeliver: { vi: 'Gửi lại', en: 'Redeliver' },
  forbidden: { vi: 'Vai trò của bạn không được phép làm việc này.', en: 'Your role may not do this.' },
  documentsPerHour: { vi: 'Văn bản mỗi giờ (24 giờ qua)', en: 'Documents per hour (last 24 h)' },
  outcomes: { vi: 'Tiếp nhận và từ chối', en: 'Accepted and refused' },
  backlog: { vi: 'Tồn đọng theo điểm kết nối', en: 'Backlog per endpoint' },
  waiting: { vi: 'Đang chờ', en: 'Waiting' },
  oldest: { vi: 'Lâu nhất (giây)', en: 'Oldest (s)' },
  overdue: { vi: 'Quá hạn', en: 'Overdue' },
  attention: { vi: 'Cần chú ý', en: 'Needs attention' },
  nothingNeedsAttention: { vi: 'Không có gì cần chú ý.', en: 'Nothing needs attention.' },
  quietEndpoints: {
    vi: 'điểm kết nối khác đang hoạt động bình thường (không tồn đọng, không quá hạn).',
    en: 'other endpoints are quiet (nothing held up, nothing overdue).',
  },
  endpointsBehind: { vi: 'Điểm kết nối tồn đọng hoặc quá hạn', en: 'Endpoints behind or overdue' },
  overdueCopies: { vi: 'bản quá hạn', en: 'copies overdue' },
  failingSources: { vi: 'Nguồn kiểm tra thu hồi đang lỗi', en: 'Failing revocation sources' },
  auditHead: { vi: 'Số bản ghi kiểm toán', en: 'Audit entries' },
  transport: { vi: 'Kết nối', en: 'Transport' },
  name: { vi: 'Tên', en: 'Name' },
  policy: { vi: 'Chính sách chữ ký', en: 'Signature policy' },
  lastPackage: { vi: 'Gói tin gần nhất', en: 'Last package' },
  change: { vi: 'Đổi', en: 'Change' },
  queue: { vi: 'Hàng đợi', en: 'Queue' },
  redelivered: { vi: 'Đã gửi lại', en: 'Redelivered' },
  done: { vi: 'Đã thực hiện.', en: 'Done.' },
  audit: { vi: 'Kiểm toán', en: 'Audit' },
  export: { vi: 'Xuất dữ liệu kiểm toán', en: 'Export the audit trail' },
  expiring: { vi: 'Chứng thư số hết hạn trong 60 ngày', en: 'Certificates expiring within 60 days' },
  certificate: { vi: 'Chứng thư số', en: 'Certificate' },
  kind: { vi: 'Loại', en: 'Kind' },
  expires: { vi: 'Hết hạn', en: 'Expires' },
  lastSeen: { vi: 'Dùng lần cuối', en: 'Last used' },
  noneExpiring: { vi: 'Không có chứng thư số nào sắp hết hạn.', en: 'No certificate expires soon.' },
  revocationHealth: { vi: 'Nguồn kiểm tra thu hồi (OCSP/CRL)', en: 'Revocation sources (OCSP/CRL)' },
  lastSuccess: { vi: 'Thành công lần cuối', en: 'Last success' },
  lastFailure: { vi: 'Lỗi lần cuối', en: 'Last failure' },
  failuresInARow: { vi: 'Lỗi liên tiếp', en: 'Failures in a row' },
  certificates: { vi: 'Chứng thư', en: 'Certificates' },
  onGrace: { vi: 'Đang dùng thời gian ân hạn', en: 'On grace period' },
  noSources: { vi: 'Chưa truy vấn nguồn nào.', en: 'No source queried yet.' },
  signatureEvidence: { vi: 'Bằng chứng chữ ký số', en: 'Signature evidence' },
  receiptsIssued: { vi: 'Biên nhận đã gửi', en: 'Receipts issued' },
  chain: { vi: 'Chuỗi chứng thực', en: 'Chain' },
  evidenceAge: { vi: 'Tuổi bằng chứng', en: 'Evidence age' },
  fromDate: { vi: 'Từ ngày', en: 'From' },
  toDate: { vi: 'Đến ngày', en: 'To' },
  event: { vi: 'Sự kiện', en: 'Event' },
  statusCode: { vi: 'Mã trạng thái', en: 'Status code' },
  source: { vi: 'Nguồn', en: 'Source' },
  flag: { vi: 'Ghi chú bất thường', en: 'Flag' },
  serial: { vi: 'Số hiệu', en: 'Serial number' },
  outcome: { vi: 'Kết quả', en: 'Outcome' },
  messageType: { vi: 'Loại thông điệp', en: 'Message type' },
  revocationStatus: { vi: 'Tình trạng', en: 'Status' },
  method: { vi: 'Phương thức', en: 'Method' },
  address: { vi: 'Địa chỉ', en: 'Address' },
  verifyOffline: { vi: 'Kiểm tra ngoại tuyến', en: 'Verify offline' },
  adminOnly: { vi: 'Chỉ quản trị viên được thực hiện.', en: 'Administrators only.' },
  timesIn: { vi: 'Giờ hiển thị theo', en: 'Times are shown in' },
} as const;

export type Word = keyof typeof WORDS;

export function t(lang: Lang, word: Word): string {
  return WORDS[word][lang];
}

export function page(
  lang: Lang,
  title: string,
  body: string,
  user: { username: string; role: ConsoleRole; csrfToken: string } | null,
  zoneNote?: string,
): string {
  const other: Lang = lang === 'vi' ? 'en' : 'vi';
  // Only what the role may open: an operator is not shown a page that would answer 403.
  const audit =
    user && may(user.role, 'audit.export') ? ` · <a href="/console/audit">${t(lang, 'audit')}</a>` : '';
  const nav = user
    ? `<nav><a href="/console/overview">${t(lang, 'overview')}</a> · <a href="/console/deliveries">${t(lang, 'deliveries')}</a> · <a href="/console/endpoints">${t(lang, 'endpoints')}</a> · <a href="/console/dead-letters">${t(lang, 'deadLetters')}</a>${audit}
      <span class="who">${esc(user.username)} (${esc(user.role)})</span>
      <form method="post" action="/console/logout" class="inline"><input type="hidden" name="csrf" value="${esc(user.csrfToken)}"><button>${t(lang, 'logout')}</button></form>
      <a href="?lang=${other}">${other.toUpperCase()}</a></nav>`
    : `<nav><a href="?lang=${other}">${other.toUpperCase()}</a></nav>`;
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${esc(title)} — edoc-bus</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#1b1b1b}header{background:#8b1a1a;color:#fff;padding:8px 16px}
header a,header nav a{color:#fff}nav{display:inline-block;margin-left:16px}.who{margin-left:16px;opacity:.85}
main{padding:16px}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.inline{display:inline}.bar{background:#8b1a1a;height:12px;display:inline-block}
.error{color:#a00}.attention{background:#fff4e5;border-left:4px solid #a00;padding:4px 12px;margin-bottom:12px}.calm{border-left:4px solid #060;padding:4px 12px;margin-bottom:12px}.zone{color:#666;font-size:12px}button[disabled]{opacity:.5;cursor:not-allowed}.ok{color:#060}form.search input,form.search select{margin-right:6px}
</style></head><body><header><strong>${t(lang, 'title')}</strong>${nav}</header><main><h1>${esc(title)}</h1>${body}${zoneNote ? `<p class="zone">${t(lang, 'timesIn')} ${esc(zoneNote)}</p>` : ''}</main></body></html>`;
}

export function table(headers: string[], rows: string[][], id?: string): string {
  return `<table${id ? ` id="${esc(id)}"` : ''}><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/**
 * Times as the people at the desk read them: in the console's time zone (Vietnam by default, not
 * UTC), `dd/MM/yyyy HH:mm:ss` in Vietnamese and `yyyy-MM-dd HH:mm:ss` in English.
 */
export class ConsoleClock {
  private readonly parts: Intl.DateTimeFormat;
  /** `GMT+7` for Asia/Ho_Chi_Minh. */
  readonly zoneLabel: string;

  constructor(readonly timeZone: string) {
    this.parts = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    this.zoneLabel =
      new Intl.DateTimeFormat('en-GB', { timeZone, timeZoneName: 'short' })
        .formatToParts(new Date())
        .find((p) => p.type === 'timeZoneName')?.value ?? timeZone;
  }

  format(d: Date, lang: Lang, seconds = true): string {
    const p = Object.fromEntries(this.parts.formatToParts(d).map((x) => [x.type, x.value]));
    const time = seconds ? `${p['hour']}:${p['minute']}:${p['second']}` : `${p['hour']}:${p['minute']}`;
    return lang === 'vi'
      ? `${p['day']}/${p['month']}/${p['year']} ${time}`
      : `${p['year']}-${p['month']}-${p['day']} ${time}`;
  }

  /** The zone's offset from UTC at `d`, in minutes. */
  offsetMinutes(d: Date): number {
    const p = Object.fromEntries(this.parts.formatToParts(d).map((x) => [x.type, Number(x.value)]));
    const asUtc = Date.UTC(p['year']!, p['month']! - 1, p['day'], p['hour'], p['minute'], p['second']);
    return Math.round((asUtc - Math.floor(d.getTime() / 1000) * 1000) / 60_000);
  }

  /**
   * A date or date-time typed into a form (`2026-12-06`, `06/12/2026`, `2026-12-06 08:30`) read in
   * the console's zone; one with its own offset or `Z` is taken as it says. Null if unreadable.
   */
  parse(text: string): Date | null {
    const s = text.trim();
    if (/[zZ]$|[+-]\d{2}:?\d{2}$/.test(s) && /\d{4}-\d{2}-\d{2}T/.test(s)) {
      const d = new Date(s);
      return Number.isNaN(d.getTime()) ? null : d;
    }
    const m =
      /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(s) ??
      /^(\d{2})\/(\d{2})\/(\d{4})(?: (\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(s);
    if (!m) return null;
    const [y, mo, d] = s.includes('/') ? [m[3], m[2], m[1]] : [m[1], m[2], m[3]];
    const local = Date.UTC(
      Number(y),
      Number(mo) - 1,
      Number(d),
      Number(m[4] ?? 0),
      Number(m[5] ?? 0),
      Number(m[6] ?? 0),
    );
    if (Number.isNaN(local)) return null;
    // The offset at that moment (a zone with daylight saving has two); a second pass settles it.
    let at = local - this.offsetMinutes(new Date(local)) * 60_000;
    at = local - this.offsetMinutes(new Date(at)) * 60_000;
    return new Date(at);
  }

  /** The date (in the zone) of `d`, as the form fields above read it: `yyyy-MM-dd`. */
  day(d: Date): string {
    const p = Object.fromEntries(this.parts.formatToParts(d).map((x) => [x.type, x.value]));
    return `${p['year']}-${p['month']}-${p['day']}`;
  }
}

/**
 * Documents per hour over the last 24 hours as an inline SVG bar chart: server-rendered, no
 * script, readable without the network; empty hours are drawn as gaps, not skipped.
 */
export function hourlyChart(
  perHour: Array<{ hour: Date; documents: number }>,
  nowMs: number,
  clock: ConsoleClock,
  lang: Lang,
): string {
  const hourMs = 3_600_000;
  const last = Math.floor(nowMs / hourMs) * hourMs;
  const counts = new Map(perHour.map((h) => [h.hour.getTime(), h.documents]));
  const hours = Array.from({ length: 24 }, (_, i) => last - (23 - i) * hourMs);
  const max = Math.max(1, ...hours.map((h) => counts.get(h) ?? 0));
  const [w, h, left, bottom] = [24 * 28, 160, 48, 20];
  const bars = hours
    .map((at, i) => {
      const n = counts.get(at) ?? 0;
      const bh = Math.round(((h - bottom - 10) * n) / max);
      const x = left + i * 28;
      const label = clock.format(new Date(at), 'en', false).slice(11, 13);
      return `<g><title>${esc(clock.format(new Date(at), lang, false))} — ${n}</title><rect x="${x + 3}" y="${h - bottom - bh}" width="22" height="${bh}" fill="#8b1a1a"/>${i % 3 === 0 ? `<text x="${x + 14}" y="${h - 5}" font-size="10" text-anchor="middle">${label}h</text>` : ''}</g>`;
    })
    .join('');
  return `<svg id="documents-per-hour" role="img" width="${w + left}" height="${h}" viewBox="0 0 ${w + left} ${h}" xmlns="http://www.w3.org/2000/svg">
<line x1="${left}" y1="${h - bottom}" x2="${w + left}" y2="${h - bottom}" stroke="#999"/>
<text x="${left - 6}" y="14" font-size="10" text-anchor="end">${max}</text><text x="${left - 6}" y="${h - bottom}" font-size="10" text-anchor="end">0</text>
${bars}</svg>`;
}
