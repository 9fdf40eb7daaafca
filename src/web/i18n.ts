/**
 * User-facing text. Vietnamese is the default; English is one click away and
 * the choice is remembered on the device. Every string the client shows
 * comes from here, so the staff app can reuse the same dictionary.
 */

import { staffEn, staffVi } from './staff/strings.js';

export type Lang = 'vi' | 'en';

const student = {
  'app.title': 'Thi trực tuyến',
  'app.skip': 'Chuyển đến nội dung chính',
  'app.noscript': 'Cần bật JavaScript để làm bài thi.',
  'lang.other': 'English',
  'lang.switch': 'Switch to English',
  'nav.logout': 'Đăng xuất',
  'nav.signedInAs': 'Đăng nhập: {name}',

  'login.heading': 'Đăng nhập',
  'login.intro': 'Thí sinh: đăng nhập bằng tài khoản nhà trường cấp để vào bài thi.',
  'login.staffIntro': 'Cán bộ, giáo viên (ra đề, duyệt đề, quản lý thi, coi thi): đăng nhập bằng tài khoản cán bộ của mình.',
  'login.staffLink': 'Vào trang quản lý dành cho cán bộ, giáo viên',
  'login.staffHeading': 'Đăng nhập trang quản lý',
  'login.staffOnlyIntro': 'Dành cho cán bộ, giáo viên: đăng nhập bằng tài khoản cán bộ của bạn.',
  'login.candidateLink': 'Thí sinh vào thi tại đây',
  'login.username': 'Tên đăng nhập',
  'login.password': 'Mật khẩu',
  'login.submit': 'Đăng nhập',
  'login.busy': 'Đang đăng nhập…',
  'login.missing': 'Vui lòng nhập tên đăng nhập và mật khẩu.',

  'error.invalid_credentials': 'Sai tên đăng nhập hoặc mật khẩu.',
  'error.rate_limited': 'Bạn đã thử quá nhiều lần. Vui lòng chờ rồi thử lại, hoặc nhờ giám thị mở khoá tài khoản.',
  'error.rate_limited_wait': 'Bạn đã thử quá nhiều lần. Vui lòng thử lại sau {wait}, hoặc nhờ giám thị mở khoá tài khoản.',
  'wait.minutes': '{n} phút',
  'wait.seconds': '{n} giây',
  'error.network_error': 'Không kết nối được máy chủ. Kiểm tra mạng rồi thử lại.',
  'error.unauthenticated': 'Phiên đăng nhập đã hết hạn. Vui lòng đăng nhập lại.',
  'error.forbidden': 'Bạn không có quyền truy cập nội dung này.',
  'error.not_found': 'Không tìm thấy bài thi.',
  'error.exam_not_open': 'Bài thi chưa đến giờ mở. Vui lòng quay lại sau.',
  'error.exam_closed': 'Kỳ thi đã đóng.',
  'error.generic': 'Đã có lỗi: {message}',

  'exams.heading': 'Bài thi của bạn',
  'exams.loading': 'Đang tải danh sách bài thi…',
  'exams.empty': 'Bạn chưa có bài thi nào.',
  'exams.window': 'Mở từ {from} đến {to}',
  'exams.duration': 'Thời gian làm bài: {minutes} phút',
  'exams.enter': 'Vào thi',
  'exams.resume': 'Làm tiếp',
  'exams.reload': 'Tải lại',
  'status.not_started': 'Chưa làm',
  'status.in_progress': 'Đang làm',
  'status.submitted': 'Đã nộp',
  'status.graded': 'Đã chấm',
  'status.upcoming': 'Chưa mở',
  'status.open': 'Đang mở',
  'status.published': 'Đang mở',
  'status.closed': 'Đã đóng',

  'exam.loading': 'Đang vào phòng thi…',
  'exam.form': 'Mã đề {code}',
  'exam.question': 'Câu {n}',
  'exam.position': 'Câu {n}/{total}',
  'exam.navigator': 'Danh sách câu hỏi',
  'exam.answeredCount': 'Đã trả lời {answered}/{total}',
  'exam.navAnswered': 'đã trả lời',
  'exam.navUnanswered': 'chưa trả lời',
  'exam.navFlagged': 'đã đánh dấu',
  'exam.legendAnswered': 'Đã trả lời',
  'exam.legendFlagged': 'Đánh dấu xem lại',
  'exam.flag': 'Đánh dấu xem lại',
  'exam.prev': '← Câu trước',
  'exam.next': 'Câu sau →',
  'exam.submit': 'Nộp bài',
  'exam.submitting': 'Đang nộp bài…',
  'exam.timeLeft': 'Thời gian còn lại',
  'exam.timeUp': 'Hết giờ',
  'exam.timeUpWaiting': 'Hết giờ làm bài. Đang chờ máy chủ ghi nhận bài làm…',
  'exam.minutesLeft': 'Còn {minutes} phút làm bài.',
  'exam.extended': 'Thời gian làm bài đã được điều chỉnh.',
  'exam.fullscreen': 'Toàn màn hình',
  'exam.passage': 'Đọc đoạn văn sau',

  'audio.label': 'Nghe đoạn ghi âm',
  'audio.play': 'Nghe',
  'audio.playing': 'Đang phát…',
  'audio.waiting': 'Đang ghi nhận lượt nghe…',
  'audio.progress': 'Tiến trình phát',
  'audio.left': 'Còn {count} lần nghe',
  'audio.unlimited': 'Không giới hạn số lần nghe',
  'audio.used': 'Bạn đã nghe hết {max} lần được phép.',
  'audio.unavailable': 'Không tải được đoạn ghi âm. Hãy thử lại.',

  'save.saving': 'Đang lưu…',
  'save.saved': 'Đã lưu',
  'save.error': 'Không lưu được: {message}',

  'conn.connecting': 'Đang kết nối…',
  'conn.open': 'Đã kết nối',
  'conn.lost': 'Mất kết nối',
  'conn.reconnecting': 'Mất kết nối, đang thử lại… Câu trả lời vẫn được giữ trên máy này và sẽ tự gửi khi có kết nối.',

  'confirm.title': 'Nộp bài?',
  'confirm.answered': 'Bạn đã trả lời {answered}/{total} câu.',
  'confirm.unanswered': 'Còn {count} câu chưa trả lời.',
  'confirm.flagged': '{count} câu đang được đánh dấu xem lại.',
  'confirm.final': 'Sau khi nộp, bạn không thể sửa bài nữa.',
  'confirm.cancel': 'Quay lại làm bài',
  'confirm.ok': 'Nộp bài',

  'end.submitted.title': 'Đã nộp bài',
  'end.submitted.body': 'Bài làm của bạn đã được ghi nhận.',
  'end.submitted.at': 'Thời điểm nộp: {at}',
  'end.already_submitted.body': 'Bài thi này đã được nộp trước đó.',
  'end.time_up.title': 'Hết giờ làm bài',
  'end.time_up.body': 'Bài làm của bạn đã được nộp tự động khi hết giờ.',
  'end.closed.title': 'Kỳ thi đã đóng',
  'end.closed.body': 'Kỳ thi đã kết thúc. Các câu trả lời đã lưu được giữ nguyên.',
  'end.replaced.title': 'Bài thi đang được mở ở nơi khác',
  'end.replaced.body': 'Bài thi vừa được mở ở một thẻ hoặc thiết bị khác. Chỉ nơi mở sau cùng được làm bài.',
  'end.replaced.continue': 'Làm bài tại đây',
  'end.fatal.title': 'Không vào được bài thi',
  'end.lost': '{count} thay đổi cuối cùng chưa kịp gửi lên máy chủ.',
  'end.back': 'Về danh sách bài thi',

  'result.heading': 'Kết quả',
  'result.loading': 'Đang tải kết quả…',
  'result.score': 'Điểm: {score10}/10',
  'result.points': '{score}/{max} điểm',
  'result.ability': 'Năng lực θ = {theta} (sai số chuẩn {se}), sau {length} câu',
  'result.notShown': 'Kỳ thi này không công bố điểm cho thí sinh.',
  'result.afterClose': 'Điểm sẽ được công bố sau khi kỳ thi đóng ({at}).',
  'result.grading': 'Đang chấm bài… Điểm sẽ hiện ở đây khi chấm xong.',
  'result.pendingManual': 'Chờ chấm: bài tự luận đang chờ giáo viên chấm. Điểm sẽ hiện ở đây khi chấm xong.',
  'result.detailLater': 'Điểm từng câu được công bố sau khi kỳ thi đóng ({at}).',
  'result.changed': 'Điểm đã được điều chỉnh ({cause}, {at}): {before} → {after}.',
  'result.cause.regrade': 'chấm lại',
  'result.cause.manual_grade': 'giáo viên chấm',
  'result.updated': 'Điểm của bạn vừa được cập nhật.',
  'result.perItem': 'Điểm từng câu',
  'result.colItem': 'Câu',
  'result.colPoints': 'Điểm',
  'result.colComment': 'Nhận xét',
  'result.colFeedback': 'Phản hồi',
  'result.youPicked': 'Bạn chọn',
  'result.hints': 'Gợi ý',
  'result.itemPending': 'Chờ chấm',
  'result.unavailable': 'Chưa tải được kết quả: {message}',

  'item.true': 'Đúng',
  'item.false': 'Sai',
  'item.answer': 'Câu trả lời',
  'item.numericHint': 'Nhập một số; phần thập phân dùng dấu phẩy, ví dụ -1,5.',
  'item.choose': '— Chọn —',
  'item.choices': 'Các lựa chọn',
  'item.moveUp': 'Chuyển lên',
  'item.moveDown': 'Chuyển xuống',
  'item.movedTo': 'Đã chuyển “{text}” đến vị trí {pos}/{total}.',
  'item.keepOrder': 'Chọn thứ tự này',
  'item.orderChosen': 'Đã chọn thứ tự này.',
  'item.orderHint': 'Dùng các nút mũi tên để sắp xếp lại.',
  'item.blank': 'Chỗ trống {n}',
  'item.essay': 'Bài làm',
  'item.words': '{count} từ',
  'item.wordsOf': '{count}/{max} từ',
  'item.tooManyWords': 'Bài làm dài hơn {max} từ.',
  'item.criteria': 'Tiêu chí chấm',
  'item.unsupported': 'Loại câu hỏi chưa được hỗ trợ: {type}',

  'nack.validation_failed': 'câu trả lời không hợp lệ',
  'nack.unknown_item': 'câu hỏi không có trong đề',
  'nack.time_up': 'đã hết giờ',
  'nack.already_submitted': 'bài đã được nộp',
  'nack.play_limit': 'đã hết lượt nghe',
  'nack.item_closed': 'câu này đã trả lời, bài thi thích ứng không quay lại câu trước',
  'exam.nextItem': 'Câu tiếp theo',
  'exam.adaptivePosition': 'Câu {n} · tối đa {max} câu',
  'exam.adaptiveHint': 'Bài thi thích ứng: mỗi lần một câu, câu sau được chọn theo câu trả lời của bạn. Không quay lại câu đã trả lời.',
  'exam.adaptiveWaiting': 'Đang lưu câu trả lời và chọn câu tiếp theo…',
  'exam.adaptiveNeedsAnswer': 'Chọn câu trả lời trước khi sang câu tiếp theo.',
  'confirm.adaptive': 'Bạn sẽ kết thúc bài thi thích ứng sau {answered} câu đã trả lời; câu đang làm sẽ không được tính.',
};

/** Every message: the student client's and the staff app's (staff/strings.ts). */
const vi = { ...student, ...staffVi };

export type MessageKey = keyof typeof vi;

const en: Record<MessageKey, string> = {
  ...staffEn,
  'app.title': 'Online exam',
  'app.skip': 'Skip to main content',
  'app.noscript': 'JavaScript is needed to sit the exam.',
  'lang.other': 'Tiếng Việt',
  'lang.switch': 'Chuyển sang tiếng Việt',
  'nav.logout': 'Sign out',
  'nav.signedInAs': 'Signed in: {name}',

  'login.heading': 'Sign in',
  'login.intro': 'Candidates: sign in with the account your school gave you to sit your exams.',
  'login.staffIntro': 'Staff and teachers (authors, reviewers, exam managers, proctors): sign in with your staff account.',
  'login.staffLink': 'Go to the staff pages',
  'login.staffHeading': 'Staff sign-in',
  'login.staffOnlyIntro': 'For staff and teachers: sign in with your staff account.',
  'login.candidateLink': 'Candidates sit their exams here',
  'login.username': 'Username',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.busy': 'Signing in…',
  'login.missing': 'Please enter your username and password.',

  'error.invalid_credentials': 'Wrong username or password.',
  'error.rate_limited': 'Too many attempts. Please wait and try again, or ask a proctor to unlock your account.',
  'error.rate_limited_wait': 'Too many attempts. Please try again in {wait}, or ask a proctor to unlock your account.',
  'wait.minutes': '{n} min',
  'wait.seconds': '{n} s',
  'error.network_error': 'Cannot reach the server. Check the network and try again.',
  'error.unauthenticated': 'Your session has expired. Please sign in again.',
  'error.forbidden': 'You may not open this.',
  'error.not_found': 'Exam not found.',
  'error.exam_not_open': 'The exam is not open yet. Please come back later.',
  'error.exam_closed': 'The exam is closed.',
  'error.generic': 'Something went wrong: {message}',

  'exams.heading': 'Your exams',
  'exams.loading': 'Loading your exams…',
  'exams.empty': 'You have no exams.',
  'exams.window': 'Open from {from} to {to}',
  'exams.duration': 'Duration: {minutes} minutes',
  'exams.enter': 'Start',
  'exams.resume': 'Continue',
  'exams.reload': 'Reload',
  'status.not_started': 'Not started',
  'status.in_progress': 'In progress',
  'status.submitted': 'Submitted',
  'status.graded': 'Graded',
  'status.upcoming': 'Not open yet',
  'status.open': 'Open',
  'status.published': 'Open',
  'status.closed': 'Closed',

  'exam.loading': 'Joining the exam…',
  'exam.form': 'Form {code}',
  'exam.question': 'Question {n}',
  'exam.position': 'Question {n} of {total}',
  'exam.navigator': 'Questions',
  'exam.answeredCount': 'Answered {answered}/{total}',
  'exam.navAnswered': 'answered',
  'exam.navUnanswered': 'not answered',
  'exam.navFlagged': 'flagged',
  'exam.legendAnswered': 'Answered',
  'exam.legendFlagged': 'Flagged for review',
  'exam.flag': 'Flag for review',
  'exam.prev': '← Previous',
  'exam.next': 'Next →',
  'exam.submit': 'Submit',
  'exam.submitting': 'Submitting…',
  'exam.timeLeft': 'Time left',
  'exam.timeUp': 'Time is up',
  'exam.timeUpWaiting': 'Time is up. Waiting for the server to record your answers…',
  'exam.minutesLeft': '{minutes} minutes left.',
  'exam.extended': 'Your time has been adjusted.',
  'exam.fullscreen': 'Full screen',
  'exam.passage': 'Read the passage',

  'audio.label': 'Listen to the recording',
  'audio.play': 'Play',
  'audio.playing': 'Playing…',
  'audio.waiting': 'Recording the play…',
  'audio.progress': 'Playback progress',
  'audio.left': '{count} plays left',
  'audio.unlimited': 'No limit on plays',
  'audio.used': 'You have used all {max} plays.',
  'audio.unavailable': 'The recording cannot be loaded. Try again.',

  'save.saving': 'Saving…',
  'save.saved': 'Saved',
  'save.error': 'Not saved: {message}',

  'conn.connecting': 'Connecting…',
  'conn.open': 'Connected',
  'conn.lost': 'Disconnected',
  'conn.reconnecting': 'Connection lost, retrying… Your answers are kept on this device and will be sent when the connection is back.',

  'confirm.title': 'Submit your answers?',
  'confirm.answered': 'You answered {answered} of {total} questions.',
  'confirm.unanswered': '{count} questions are not answered.',
  'confirm.flagged': '{count} questions are flagged for review.',
  'confirm.final': 'After submitting you cannot change your answers.',
  'confirm.cancel': 'Back to the exam',
  'confirm.ok': 'Submit',

  'end.submitted.title': 'Submitted',
  'end.submitted.body': 'Your answers have been recorded.',
  'end.submitted.at': 'Submitted at: {at}',
  'end.already_submitted.body': 'This exam was already submitted.',
  'end.time_up.title': 'Time is up',
  'end.time_up.body': 'Your answers were submitted automatically when the time ran out.',
  'end.closed.title': 'The exam is closed',
  'end.closed.body': 'The exam has ended. Your saved answers are kept.',
  'end.replaced.title': 'The exam was opened elsewhere',
  'end.replaced.body': 'The exam was just opened in another tab or on another device. Only the most recent one can be used.',
  'end.replaced.continue': 'Continue here',
  'end.fatal.title': 'Cannot open the exam',
  'end.lost': '{count} last changes could not be sent to the server.',
  'end.back': 'Back to my exams',

  'result.heading': 'Result',
  'result.loading': 'Loading your result…',
  'result.score': 'Score: {score10}/10',
  'result.points': '{score}/{max} points',
  'result.ability': 'Ability θ = {theta} (standard error {se}), after {length} questions',
  'result.notShown': 'Scores of this exam are not shown to candidates.',
  'result.afterClose': 'Your score is shown after the exam closes ({at}).',
  'result.grading': 'Grading… Your score appears here when it is done.',
  'result.pendingManual': 'Awaiting marking: a teacher still has to mark the essay. Your score appears here when it is done.',
  'result.detailLater': 'Points per question are shown after the exam closes ({at}).',
  'result.changed': 'Your score was changed ({cause}, {at}): {before} → {after}.',
  'result.cause.regrade': 'regrade',
  'result.cause.manual_grade': 'marked by a teacher',
  'result.updated': 'Your score has just been updated.',
  'result.perItem': 'Points per question',
  'result.colItem': 'Question',
  'result.colPoints': 'Points',
  'result.colComment': 'Comment',
  'result.colFeedback': 'Feedback',
  'result.youPicked': 'You picked',
  'result.hints': 'Hints',
  'result.itemPending': 'Awaiting marking',
  'result.unavailable': 'Could not load your result: {message}',

  'item.true': 'True',
  'item.false': 'False',
  'item.answer': 'Answer',
  'item.numericHint': 'Enter a number, for example -1.5 or -1,5.',
  'item.choose': '— Choose —',
  'item.choices': 'Choices',
  'item.moveUp': 'Move up',
  'item.moveDown': 'Move down',
  'item.movedTo': 'Moved “{text}” to position {pos} of {total}.',
  'item.keepOrder': 'Use this order',
  'item.orderChosen': 'This order is chosen.',
  'item.orderHint': 'Use the arrow buttons to reorder.',
  'item.blank': 'Blank {n}',
  'item.essay': 'Your answer',
  'item.words': '{count} words',
  'item.wordsOf': '{count}/{max} words',
  'item.tooManyWords': 'Your answer is longer than {max} words.',
  'item.criteria': 'Marking criteria',
  'item.unsupported': 'Unsupported question type: {type}',

  'nack.validation_failed': 'the answer is not valid',
  'nack.unknown_item': 'the question is not on this form',
  'nack.time_up': 'time is up',
  'nack.already_submitted': 'already submitted',
  'nack.play_limit': 'no plays left',
  'nack.item_closed': 'this question is answered; an adaptive test does not go back',
  'exam.nextItem': 'Next question',
  'exam.adaptivePosition': 'Question {n} · at most {max}',
  'exam.adaptiveHint': 'Adaptive test: one question at a time, each chosen from your answers so far. Answered questions cannot be revisited.',
  'exam.adaptiveWaiting': 'Saving your answer and choosing the next question…',
  'exam.adaptiveNeedsAnswer': 'Choose an answer before going on.',
  'confirm.adaptive': 'You will end the adaptive test after {answered} answered questions; the current one will not count.',
};

const dictionaries: Record<Lang, Record<MessageKey, string>> = { vi, en };
const STORAGE_KEY = 'exam-engine:lang';

function storedLang(): Lang {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return value === 'en' ? 'en' : 'vi';
  } catch {
    return 'vi';
  }
}

let current: Lang = storedLang();

export function getLang(): Lang {
  return current;
}

/** Switches the language, remembers it and sets `<html lang>`. Callers re-render. */
export function setLang(lang: Lang): void {
  current = lang;
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // Private mode: the choice lasts for this page only.
  }
  document.documentElement.lang = lang;
}

/** The text for `key` with `{name}` placeholders filled in. */
export function t(key: MessageKey, params?: Record<string, string | number>): string {
  const template = dictionaries[current][key];
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** Whether `key` is a known message (for codes that come from the server). */
export function hasMessage(key: string): key is MessageKey {
  return  Object.hasOwn(vi, key);
}

export function formatDateTime(iso: string | number | Date): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return new Intl.DateTimeFormat(current === 'vi' ? 'vi-VN' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/** A score as people read it: "8,5" in Vietnamese, "8.5" in English, at most two decimals. */
export function formatNumber(value: number): string {
  return new Intl.NumberFormat(current === 'vi' ? 'vi-VN' : 'en-GB', { maximumFractionDigits: 2 }).format(value);
}
