// Who decides, shown and operated: safety phrase, fork and pause notices, people asking
// to join, member roles and actions, join rule, lock and invite links. Admin controls
// only appear for admins, but every action is checked again by the relay and by every
// member, so hiding a button is a courtesy, not a defence.
import { seniority } from '../gov/state.js';
import { byId, el } from './dom.js';
import { describeDuration } from './format.js';

export const RULE_TEXT = Object.freeze({
  open: 'Anyone with this link can join while the room lasts. Share it only with people you trust, over a channel you trust.',
  approval: 'Anyone with this link can ask to join; an admin lets each person in.',
  invite: 'This link alone no longer lets anyone in: create an invite link below for each newcomer.',
  locked: 'The room is locked: nobody new can join.',
});

/** Why the relay would not let us in, in words (the codes come from PROTOCOL §8.3, §8.7). */
export const REFUSAL_TEXT = Object.freeze({
  declined: ['Not let in', 'An admin declined your request to join this room.'],
  'no-answer': ['Nobody answered', 'No admin let you in within ten minutes. Try again when someone is there.'],
  removed: ['You were removed from this room', 'An admin removed you. This link no longer lets you in.'],
  'room-locked': ['This room is locked', 'Its admins locked it: nobody new can join.'],
  'room-full': ['This room is full', 'It has as many people as its admins allow.'],
  'ticket-used': ['This invite link was already used', 'Each invite admits a set number of people. Ask for a new one.'],
  'invite-revoked': ['This invite link was withdrawn', 'An admin revoked it. Ask for a new one.'],
  'invite-expired': ['This invite link has expired', 'Ask for a new one.'],
  'unknown-invite': ['This invite link is not valid here', 'It does not belong to this room, or was never created. Ask for a new one.'],
  'bad-ticket': ['This invite link is not valid', 'It is incomplete or was changed. Ask for the link again.'],
  'invite-required': ['This room admits by invitation only', 'The plain room link does not let anyone in. Ask someone in the room for an invite link.'],
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
      this.actions.invite(Number(byId('invite-uses').value), Number(byId('invite-expiry').value));
    });
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
    const rule = state.locked ? 'locked' : state.joinRule;
    byId('share-rule').textContent = RULE_TEXT[rule];
    byId('admin-tools').hidden = !session.isAdmin;
    byId('rule-select').value = state.joinRule;
    if (document.activeElement !== byId('cap-input')) byId('cap-input').value = String(state.cap);
    const controls = [...byId('rule-form').elements, byId('lock-button'), ...byId('invite-form').elements];
    for (const control of controls) control.disabled = state.locked;
    this.renderKnocks();
    this.renderInvites();
  }

  renderKnocks() {
    const session = this.session;
    const show = session.isAdmin && session.knocks.size > 0;
    byId('knock-panel').hidden = !show;
    const items = [...session.knocks.keys()].map((id) =>
      el(
        'li',
        { className: 'knock', attrs: { 'data-id': id } },
        el('span', { className: 'message__id', text: `#${id.slice(0, 6)}` }),
        this.button('Let in', () => this.actions.admit(id), 'button--primary'),
        this.button('Decline', () => this.actions.decline(id)),
      ),
    );
    byId('knock-list').replaceChildren(...items);
  }

  renderInvites() {
    const session = this.session;
    const now = Date.now();
    const items = [...session.state.invites.entries()]
      .filter(([, invite]) => !invite.revoked && invite.used < invite.uses && invite.expiresAtMs > now)
      .map(([pk, invite]) => {
        const link = session.invites.has(pk) ? session.inviteUrl(pk) : null;
        const left = invite.uses - invite.used;
        const detail = `${left} of ${invite.uses} left, expires in ${describeDuration((invite.expiresAtMs - now) / 1000)}`;
        return el(
          'li',
          { className: 'invite', attrs: { 'data-ticket': pk } },
          link
            ? el('input', { className: 'invite__link', attrs: { type: 'text', readonly: '', value: link, 'aria-label': 'Invite link' } })
            : el('span', { className: 'muted', text: 'Made by another admin' }),
          el('span', { className: 'muted small', text: detail }),
          link ? this.button('Copy', () => this.actions.copy(link)) : '',
          this.button('Revoke', () => this.actions.revoke(pk)),
        );
      });
    byId('invite-list').replaceChildren(...items);
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
    const label = member.name || 'Someone';
    return [
      ...extras,
      ...actions.map((action) =>
        this.button(MEMBER_ACTIONS[action], () => this.ask(action, member), 'button--small', `${MEMBER_ACTIONS[action]}: ${label} #${member.shortId}`),
      ),
    ];
  }

  ask(action, member) {
    if (action !== 'kick') {
      this.actions[action](member.id);
      return;
    }
    this.kickTarget = member.id;
    byId('kick-name').textContent = `${member.name || 'this person'} #${member.shortId}`;
    byId('kick-rule-note').hidden = this.session.state.joinRule !== 'open';
    byId('kick-dialog').showModal();
  }

  button(text, onClick, className = '', label = null) {
    const button = el('button', { className: `button ${className}`.trim(), text, attrs: { type: 'button' } });
    if (label) button.setAttribute('aria-label', label);
    button.addEventListener('click', onClick);
    return button;
  }
}
