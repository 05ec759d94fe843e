// Who decides, shown and operated: safety phrase, fork and pause notices, people asking
// to join, member roles and actions, join rule, lock and invite links. Admin controls
// only appear for admins, but every action is checked again by the relay and by every
// member, so hiding a button is a courtesy, not a defence.
import { MAX_TICKET_USES } from '../protocol/governance/payloads.js';
import { seniority } from '../protocol/governance/state.js';
import { codeStart, memberCode } from '../client/codes.js';
import { byId, el, replaceKeepingFocus } from './dom.js';
import { describeDuration } from './format.js';
import { codeNode, nameNode, personLabel } from './people.js';

/** What the room link does under each rule, for admins and for everyone else. */
export const RULE_TEXT = Object.freeze({
  open: 'Anyone with this link can join while the room lasts. Share it only with people you trust, over a channel you trust.',
  approval: 'Anyone with this link can ask to join; an admin lets each person in.',
  invite: 'This link alone lets nobody in: create an invite link below.',
  'invite-member': 'This link alone lets nobody in. Ask an admin for an invite link.',
  locked: 'This room is locked: nobody new can join.',
});

// The plain link and its QR code admit nobody under these rules, so they are not offered.
const LINK_ADMITS_NOBODY = new Set(['invite', 'invite-member', 'locked']);

const RULE_CHANGE_TEXT = Object.freeze({
  open: 'Anyone with the link can now join.',
  approval: "New people now need an admin's approval.",
  invite: 'New people now need an invite link.',
});

/** The notice everyone sees for a change the room's log made (session.js changes()),
 *  by event type; `who(member)` draws a person as name and code nodes. */
export const CHANGE_NOTICES = Object.freeze({
  removed: ({ member }, who) => [...who(member), ' was removed by an admin.'],
  promoted: ({ member }, who) => [...who(member), ' is now an admin.'],
  demoted: ({ member }, who) => [...who(member), ' is no longer an admin.'],
  locked: () => ['The room is now locked: nobody new can join.'],
  'join-rule': ({ rule }) => [RULE_CHANGE_TEXT[rule]],
  cap: ({ cap }) => [cap ? `The room now holds at most ${cap} people.` : 'The room no longer has a limit of its own on how many people it holds.'],
  phrase: ({ phrase }) => ['The safety phrase changed: compare it again. It is now ', el('strong', { text: phrase }), '.'],
});

const MEMBER_ACTIONS = Object.freeze({ promote: 'Make admin', demote: 'Remove admin', kick: 'Remove from room' });

export class GovernanceView {
  /** `actions`: { admit, decline, kick, promote, demote, setRule, lock, invite, revoke, copy }. */
  constructor(actions) {
    this.actions = actions;
    this.session = null;
    this.kickTarget = null;
    byId('rule-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const cap = Math.max(0, Math.min(256, Math.floor(Number(byId('cap-input').value) || 0)));
      this.actions.setRule(byId('rule-select').value, cap);
    });
    byId('lock-button').addEventListener('click', () => byId('lock-dialog').showModal());
    byId('lock-dialog').addEventListener('close', () => {
      if (byId('lock-dialog').returnValue === 'lock') this.actions.lock();
    });
    byId('invite-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const uses = this.inviteUses();
      if (uses !== null) this.actions.invite(uses, Number(byId('invite-expiry').value));
    });
    byId('invite-uses').addEventListener('input', () => this.showUsesError(''));
    const kickDialog = byId('kick-dialog');
    kickDialog.addEventListener('close', () => {
      if (kickDialog.returnValue === 'kick' && this.kickTarget) this.actions.kick(this.kickTarget);
      this.kickTarget = null;
    });
  }

  attach(session) {
    this.session = session;
    this.render();
  }

  /** Everything governance shows, from the session's merged state. */
  render() {
    const session = this.session;
    if (!session?.inRoom) return;
    const state = session.state;
    byId('safety-phrase').textContent = session.phrase;
    byId('fork-warning').hidden = !session.membership.forked;
    byId('paused-note').hidden = !session.sendingPaused;
    byId('end-button').hidden = state.owner !== session.me.id;
    const rule = state.locked ? 'locked' : state.joinRule === 'invite' && !session.isAdmin ? 'invite-member' : state.joinRule;
    byId('share-rule').textContent = RULE_TEXT[rule];
    byId('share-plain').hidden = LINK_ADMITS_NOBODY.has(rule);
    byId('invite-uses').max = String(this.maxInviteUses());
    byId('admin-tools').hidden = !session.isAdmin;
    byId('rule-select').value = state.joinRule;
    if (document.activeElement !== byId('cap-input')) byId('cap-input').value = String(state.cap);
    const controls = [...byId('rule-form').elements, byId('lock-button'), ...byId('invite-form').elements];
    for (const control of controls) control.disabled = state.locked;
    if (state.locked) this.showUsesError('');
    this.renderKnocks();
    this.renderInvites();
  }

  /** The most people one invite may admit: the protocol's bound, and the room's cap if set. */
  maxInviteUses() {
    const cap = this.session.state.cap;
    return cap > 0 ? Math.min(cap, MAX_TICKET_USES) : MAX_TICKET_USES;
  }

  /** The number of uses typed, or null (and the reason shown by the field) if out of bounds. */
  inviteUses() {
    const field = byId('invite-uses');
    const max = this.maxInviteUses();
    const uses = Number(field.value);
    const valid = field.value.trim() !== '' && Number.isInteger(uses) && uses >= 1 && uses <= max;
    const limit = max < MAX_TICKET_USES ? ` (the room holds at most ${max} people)` : '';
    this.showUsesError(valid ? '' : `Enter a whole number of people from 1 to ${max}${limit}.`);
    if (!valid) field.focus();
    return valid ? uses : null;
  }

  showUsesError(text) {
    const error = byId('invite-uses-error');
    error.textContent = text;
    error.hidden = text === '';
    byId('invite-uses').setAttribute('aria-invalid', String(text !== ''));
  }

  /** People asking to join, each by code (a knock carries no name); look-alike codes warned. */
  renderKnocks() {
    const session = this.session;
    const show = session.isAdmin && session.knocks.size > 0;
    byId('knock-panel').hidden = !show;
    const members = [...session.members.values()];
    const knocking = [...session.knocks.keys()];
    const items = knocking.map((id) => {
      const alike = [
        ...members.filter((member) => codeStart(member.id) === codeStart(id)).map((member) => nameNode(member.name)),
        ...knocking.filter((other) => other !== id && codeStart(other) === codeStart(id)).map(() => document.createTextNode('another request')),
      ];
      const warning = alike.length
        ? el('p', { className: 'knock__warning', text: 'Starts like the code of ' }, ...joinWords(alike), ': compare all 16 digits before you let them in.')
        : '';
      return el(
        'li',
        { className: alike.length ? 'knock knock--clash' : 'knock', attrs: { 'data-id': id } },
        codeNode(id),
        this.button('Let in', () => this.actions.admit(id), 'button--primary', `Let in ${memberCode(id)}`, 'admit'),
        this.button('Decline', () => this.actions.decline(id), '', `Decline ${memberCode(id)}`, 'decline'),
        warning,
      );
    });
    replaceKeepingFocus(byId('knock-list'), items);
  }

  renderInvites() {
    const session = this.session;
    const now = Date.now();
    // A locked room admits nobody, invite or not: its invites are not offered either.
    const items = [...session.state.invites.entries()]
      .filter(([, invite]) => !session.state.locked && !invite.revoked && invite.used < invite.uses && invite.expiresAtMs > now)
      .map(([pk, invite]) => {
        const link = session.invites.has(pk) ? session.inviteUrl(pk) : null;
        const left = invite.uses - invite.used;
        const detail = `${left} of ${invite.uses} left, expires in ${describeDuration((invite.expiresAtMs - now) / 1000)}`;
        return el(
          'li',
          { className: 'invite', attrs: { 'data-ticket': pk } },
          link
            ? el('input', { className: 'invite__link', attrs: { type: 'text', readonly: '', value: link, 'aria-label': 'Invite link', 'data-action': 'link' } })
            : el('span', { className: 'muted', text: 'Made by another admin' }),
          el('span', { className: 'muted small', text: detail }),
          link ? this.button('Copy', () => this.actions.copy(link), '', null, 'copy') : '',
          this.button('Revoke', () => this.actions.revoke(pk), '', null, 'revoke'),
        );
      });
    replaceKeepingFocus(byId('invite-list'), items);
  }

  /** Role badge and, for admins, the actions allowed on `member` (for the member list). */
  memberExtras(member) {
    const session = this.session;
    if (!session?.inRoom) return [];
    const role = session.roleOf(member.id);
    const extras = role === 'member' ? [] : [el('span', { className: 'badge', text: role })];
    if (!session.isAdmin || member.id === session.me.id || role === 'owner') return extras;
    const mine = seniority(session.state, session.me.id);
    const outranked = role === 'admin' && seniority(session.state, member.id) <= mine;
    if (outranked) return extras;
    const actions = role === 'admin' ? ['demote', 'kick'] : ['promote', 'kick'];
    return [
      ...extras,
      ...actions.map((action) =>
        this.button(MEMBER_ACTIONS[action], () => this.ask(action, member), 'button--small', `${MEMBER_ACTIONS[action]}: ${personLabel(member)}`, action),
      ),
    ];
  }

  ask(action, member) {
    if (action !== 'kick') {
      this.actions[action](member.id);
      return;
    }
    this.kickTarget = member.id;
    byId('kick-name').replaceChildren(nameNode(member.name, 'this person'));
    byId('kick-code').replaceChildren(codeNode(member.id));
    byId('kick-rule-note').hidden = this.session.state.joinRule !== 'open';
    byId('kick-dialog').showModal();
  }

  /** A button; `action` names it within its list item, so focus can find it again after a redraw. */
  button(text, onClick, className = '', label = null, action = null) {
    const button = el('button', { className: `button ${className}`.trim(), text, attrs: { type: 'button' } });
    if (label) button.setAttribute('aria-label', label);
    if (action) button.dataset.action = action;
    button.addEventListener('click', onClick);
    return button;
  }
}

/** Nodes joined with commas and a final "and". */
function joinWords(nodes) {
  return nodes.flatMap((node, index) => (index === 0 ? [node] : [index === nodes.length - 1 ? ' and ' : ', ', node]));
}
