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
  badLogin: { vi: 'Sai tên đăng nhập hoặc mật khẩu.', en: 'Wrong user name or password.' },
  lockedLogin: {
    vi: 'Tài khoản tạm khóa do nhập sai nhiều lần.',
    en: 'Account locked after repeated failures.',
  },
  search: { vi: 'Tìm kiếm', en: 'Search' },
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
} as const;

export type Word = keyof typeof WORDS;

export function t(lang: Lang, word: Word): string {
  return WORDS[word][lang];
}

export function page(
  lang: Lang,
  title: string,
  body: string,
  user: { username: string; role: string; csrfToken: string } | null,
): string {
  const other: Lang = lang === 'vi' ? 'en' : 'vi';
  const nav = user
    ? `<nav><a href="/console/overview">${t(lang, 'overview')}</a> · <a href="/console/deliveries">${t(lang, 'deliveries')}</a> · <a href="/console/endpoints">${t(lang, 'endpoints')}</a> · <a href="/console/dead-letters">${t(lang, 'deadLetters')}</a> · <a href="/console/audit">${t(lang, 'audit')}</a>
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
.error{color:#a00}.ok{color:#060}form.search input,form.search select{margin-right:6px}
</style></head><body><header><strong>${t(lang, 'title')}</strong>${nav}</header><main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

export function table(headers: string[], rows: string[][], id?: string): string {
  return `<table${id ? ` id="${esc(id)}"` : ''}><thead><tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

export function isoMinute(d: Date): string {
  return d.toISOString().slice(0, 16).replace('T', ' ');
}

/**
 * Documents per hour over the last 24 hours as an inline SVG bar chart: server-rendered, no
 * script, readable without the network; empty hours are drawn as gaps, not skipped.
 */
export function hourlyChart(perHour: Array<{ hour: Date; documents: number }>, nowMs: number): string {
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
      const label = new Date(at).toISOString().slice(11, 13);
      return `<g><title>${esc(new Date(at).toISOString().slice(0, 13))}:00 — ${n}</title><rect x="${x + 3}" y="${h - bottom - bh}" width="22" height="${bh}" fill="#8b1a1a"/>${i % 3 === 0 ? `<text x="${x + 14}" y="${h - 5}" font-size="10" text-anchor="middle">${label}h</text>` : ''}</g>`;
    })
    .join('');
  return `<svg id="documents-per-hour" role="img" width="${w + left}" height="${h}" viewBox="0 0 ${w + left} ${h}" xmlns="http://www.w3.org/2000/svg">
<line x1="${left}" y1="${h - bottom}" x2="${w + left}" y2="${h - bottom}" stroke="#999"/>
<text x="${left - 6}" y="14" font-size="10" text-anchor="end">${max}</text><text x="${left - 6}" y="${h - bottom}" font-size="10" text-anchor="end">0</text>
${bars}</svg>`;
}
