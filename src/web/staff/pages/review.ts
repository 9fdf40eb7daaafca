/**
 * Review: the items waiting in review at the organisations where the person
 * is a reviewer, and the decision on one revision (approve, or send it back
 * to its author with a comment). The four-eyes rule: nobody is offered the
 * review of a revision they wrote.
 */
import { h } from '../../dom.js';
import { formatDateTime, t } from '../../i18n.js';
import { renderItem } from '../../items/render.js';
import { plainText } from '../../items/sanitize.js';
import { serverFeatures, type ItemView } from '../api.js';
import { busy, button, checkbox, dataTable, errorMessage, excerpt, field, notice, say, statusBadge, textarea } from '../components.js';
import { candidateItem, draftOf, keyLines, keyResponse } from '../editor/model.js';
import { staffPage, type StaffContext } from '../frame.js';
import { levelLabel, sharingLabel, typeLabel } from '../labels.js';
import { personLabel } from '../people.js';
import { orgsWith } from '../roles.js';
import { revisionDiff, statusLogList } from './item-history.js';

let flash: string | null = null;

/** Caches organisation paths: an item is reviewable here when its owner's path meets a reviewer organisation. */
function orgPaths(ctx: StaffContext): (orgId: string) => Promise<string[]> {
  const cache = new Map<string, Promise<string[]>>();
  return (orgId) => {
    let p = cache.get(orgId);
    if (!p) {
      p = ctx.api.org(orgId).then((o) => o.path ?? [orgId]).catch(() => [orgId]);
      cache.set(orgId, p);
    }
    return p;
  };
}

export const reviewQueuePage = staffPage('review', (ctx) => {
  let disposed = false;
  const status = h('div', { class: 'message-slot' });
  const listSlot = h('div', { class: 'list-slot' }, h('p', { class: 'muted', role: 'status' }, t('staff.loading')));
  ctx.root.replaceChildren(ctx.heading(t('staff.review.title')), h('p', { class: 'muted' }, t('staff.review.intro')), status, listSlot);
  if (flash) {
    say(status, 'success', flash);
    flash = null;
  }
  const reviewerOrgs = new Set(orgsWith(ctx.user, 'reviewer'));
  const pathOf = orgPaths(ctx);

  (async () => {
    const waiting: ItemView[] = [];
    let cursor: string | undefined;
    // A review queue longer than a thousand is a backlog; the first thousand are shown.
    do {
      const page = await ctx.api.searchItems({ status: 'in_review', limit: 200, cursor });
      waiting.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor && waiting.length < 1000);
    const mine: ItemView[] = [];
    for (const item of waiting) {
      const path = await pathOf(item.ownerOrgId);
      if (path.some((o) => reviewerOrgs.has(o))) mine.push(item);
    }
    if (disposed) return;
    if (!mine.length) {
      listSlot.replaceChildren(h('p', { class: 'empty' }, t('staff.review.empty')));
      return;
    }
    listSlot.replaceChildren(
      h('p', { class: 'muted', role: 'status' }, t('staff.review.count', { count: mine.length })),
      dataTable(
        t('staff.review.caption'),
        [
          { label: t('staff.items.col.stem'), cell: (i) => excerpt(plainText(i.stem)), class: 'col-stem' },
          { label: t('staff.items.col.type'), cell: (i) => typeLabel(i.type), sort: (i) => typeLabel(i.type) },
          { label: t('staff.items.col.class'), cell: (i) => `${i.subject} · ${i.grade}` },
          { label: t('staff.items.col.topic'), cell: (i) => i.topic, sort: (i) => i.topic },
          { label: t('staff.items.col.level'), cell: (i) => String(i.cognitiveLevel), sort: (i) => i.cognitiveLevel, class: 'num' },
          { label: t('staff.history.author'), cell: (i) => personLabel(i.authorId, i.people, ctx.user.id), sort: (i) => personLabel(i.authorId, i.people, ctx.user.id) },
          { label: t('staff.review.submittedAt'), cell: (i) => formatDateTime(i.createdAt), sort: (i) => i.createdAt },
          {
            label: t('staff.review.lastComment'),
            // The reason an earlier revision came back, so the reviewer checks that it was dealt with.
            cell: (i) => (i.lastReview?.comment && i.lastReview.to === 'draft' ? h('span', { class: 'review-comment-inline' }, t('staff.review.earlier', { revision: i.lastReview.revision, comment: excerpt(i.lastReview.comment, 120) })) : h('span', { class: 'muted' }, '—')),
            class: 'col-comment',
          },
          {
            label: t('staff.items.col.actions'),
            cell: (i) =>
              i.authorId === ctx.user.id
                ? h('span', { class: 'muted' }, t('staff.review.ownShort'))
                : ctx.link(`/staff/review/${encodeURIComponent(i.id)}`, t('staff.review.open'), { class: 'button button--secondary button--small', 'aria-label': `${t('staff.review.open')}: ${excerpt(plainText(i.stem), 60)}` }),
          },
        ],
        mine,
        { rowAttrs: (i) => ({ 'data-item-id': i.id }) },
      ),
    );
  })().catch((err) => {
    if (!disposed) say(listSlot, 'error', errorMessage(err));
  });
  return () => {
    disposed = true;
  };
});

export const reviewItemPage = staffPage('review', (ctx) => {
  const itemId = ctx.params.itemId!;
  let disposed = false;
  const status = h('div', { class: 'message-slot' }, h('p', { class: 'muted', role: 'status' }, t('staff.loading')));
  ctx.root.replaceChildren(ctx.heading(t('staff.review.itemTitle')), h('p', null, ctx.link('/staff/review', t('staff.review.back'))), status);

  (async () => {
    const [item, features] = await Promise.all([ctx.api.item(itemId), serverFeatures()]);
    const previousRevision = item.approvedRevision && item.approvedRevision < item.revision ? item.approvedRevision : item.revision > 1 ? item.revision - 1 : null;
    const previous = previousRevision ? await ctx.api.item(itemId, previousRevision) : null;
    if (disposed) return;
    status.replaceChildren();
    const draft = draftOf(item);

    const facts = h(
      'dl',
      { class: 'facts' },
      h('dt', null, t('staff.items.col.status')),
      h('dd', null, statusBadge(item.status), ' ', t('staff.editor.revisionOf', { revision: item.revision, latest: item.latestRevision })),
      h('dt', null, t('staff.item.type')),
      h('dd', null, typeLabel(item.type)),
      h('dt', null, t('staff.items.col.class')),
      h('dd', null, `${item.subject} · ${item.grade} · ${item.topic}`),
      h('dt', null, t('staff.item.level')),
      h('dd', null, `${item.cognitiveLevel} – ${levelLabel(item.cognitiveLevel)}`),
      h('dt', null, t('staff.editor.sharing')),
      h('dd', null, sharingLabel(item.sharing ?? 'org')),
      h('dt', null, t('staff.history.author')),
      h('dd', null, personLabel(item.authorId, item.people, ctx.user.id), ' · ', formatDateTime(item.createdAt)),
    );

    const words = {
      correct: t('staff.field.correct'),
      scoring: t('staff.editor.scoring'),
      scoringName: (x: string) => (x === 'partial' ? t(item.type === 'ordering' ? 'staff.editor.scoring.partialOrder' : 'staff.editor.scoring.partial') : t('staff.editor.scoring.all_or_nothing')),
      fixed: t('staff.editor.fixed'),
      yes: t('item.true'),
      no: t('item.false'),
      ladder: t('staff.field.ladder'),
      accepted: t('staff.editor.accepted'),
      caseSensitive: t('staff.editor.caseSensitive'),
      ignoreDiacritics: t('staff.editor.ignoreDiacritics'),
      maxWords: t('staff.editor.maxWords'),
    };
    const key = item.keyIncluded
      ? h('section', { class: 'panel', 'aria-labelledby': 'key-title' }, h('h2', { id: 'key-title' }, t('staff.review.key')), h('ul', { class: 'key-list' }, ...keyLines(draft, words).map((line) => h('li', null, line))))
      : null;
    const showKey = checkbox(t('staff.editor.showKey'), true);
    const previewBody = h('div', { class: 'preview-body' });
    const drawPreview = () =>
      previewBody.replaceChildren(renderItem(candidateItem(draft), { idPrefix: 'review', initial: showKey.box.checked ? keyResponse(draft) : null, readOnly: showKey.box.checked }).element);
    showKey.box.addEventListener('change', drawPreview);
    drawPreview();

    const decision = h('section', { class: 'panel decision', 'aria-labelledby': 'decision-title' }, h('h2', { id: 'decision-title' }, t('staff.review.decision')));
    if (item.status !== 'in_review') {
      decision.append(notice('info', t('staff.review.notInReview', { status: statusBadge(item.status).textContent ?? item.status })));
    } else if (item.authorId === ctx.user.id) {
      // Four-eyes: the author of this revision is not offered the decision at all.
      decision.append(notice('warning', t('staff.review.own')));
    } else {
      const comment = textarea({ rows: 3, id: 'review-comment' });
      const commentField = field(t('staff.review.comment'), comment, { hint: features.reviewComment ? t('staff.review.commentHint') : t('staff.review.commentNotStored') });
      const commentError = h('p', { class: 'field-error', id: 'review-comment-error', hidden: true });
      commentField.append(commentError);
      const approve = button(t('staff.review.approve'), 'primary');
      const sendBack = button(t('staff.review.sendBack'), 'danger');
      const result = h('div', { class: 'message-slot' });
      const decide = (to: 'approved' | 'draft', b: HTMLButtonElement) =>
        void busy(b, t('staff.busy'), async () => {
          commentError.hidden = true;
          comment.removeAttribute('aria-invalid');
          if (to === 'draft' && features.reviewComment && !comment.value.trim()) {
            commentError.textContent = t('staff.review.commentRequired');
            commentError.hidden = false;
            comment.setAttribute('aria-invalid', 'true');
            comment.setAttribute('aria-describedby', commentError.id);
            comment.focus();
            return;
          }
          try {
            await ctx.api.setStatus(item.id, to, item.revision, features.reviewComment ? comment.value.trim() : undefined);
            flash = to === 'approved' ? t('staff.review.approved') : t('staff.review.sentBack');
            ctx.navigate('/staff/review');
          } catch (err) {
            say(result, 'error', errorMessage(err));
          }
        });
      approve.addEventListener('click', () => decide('approved', approve));
      sendBack.addEventListener('click', () => decide('draft', sendBack));
      decision.append(commentField, h('div', { class: 'actions' }, approve, sendBack), result);
    }

    const changes = previous
      ? h('section', { class: 'panel', 'aria-labelledby': 'changes-title' }, h('h2', { id: 'changes-title' }, t('staff.review.changes', { revision: previous.revision })), revisionDiff(previous, item))
      : null;
    // What was said before: this revision's steps, and why an earlier one came back.
    const earlier = item.lastReview?.to === 'draft' && item.lastReview.revision !== item.revision && item.lastReview.comment ? item.lastReview : null;
    const log = h(
      'section',
      { class: 'panel', 'aria-labelledby': 'log-title' },
      h('h2', { id: 'log-title' }, t('staff.review.log')),
      earlier ? notice('warning', t('staff.review.earlier', { revision: earlier.revision, comment: earlier.comment! })) : null,
      statusLogList(item.statusLog ?? [], ctx.user.id, item.people),
    );

    ctx.root.append(
      h(
        'div',
        { class: 'editor-layout' },
        h('div', null, facts, key, decision, log, changes),
        h('aside', { class: 'preview', 'aria-labelledby': 'review-preview' }, h('div', { class: 'preview-head' }, h('h2', { id: 'review-preview' }, t('staff.editor.preview')), showKey.wrap), previewBody),
      ),
    );
  })().catch((err) => {
    if (!disposed) say(status, 'error', errorMessage(err));
  });
  return () => {
    disposed = true;
  };
});
