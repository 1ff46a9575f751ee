% rebase('layout')
% if new_password:
<p class="flash ok" id="one-time-password">{{_('One-time password for {user}').format(user=new_password[0])}}: <b><code>{{new_password[1]}}</code></b> — {{_('shown only now; the user must change it at the first sign-in.')}}</p>
% end
% if new_token:
<p class="flash ok" id="new-token">{{_('API token {name}').format(name=new_token[0])}}: <b><code>{{new_token[1]}}</code></b> — {{_('shown only now.')}}</p>
% end
<table id="users">
  <tr><th>{{_('User name')}}</th><th>{{_('Role')}}</th><th>{{_('Last sign-in')}}</th><th>{{_('State')}}</th><th></th></tr>
  % for u in rows:
  <tr>
    <td>{{u.username}}</td>
    <td colspan="1">
      <form method="post" action="/users/{{u.id}}" class="row">
        <input type="hidden" name="csrf" value="{{ctx.csrf}}">
        <select name="role">
          % for r in roles:
          <option value="{{r}}" {{'selected' if u.role == r else ''}}>{{_(r)}}</option>
          % end
        </select>
        <label><input type="checkbox" name="disabled" value="1" {{'checked' if u.disabled else ''}}> {{_('disabled')}}</label>
        <button type="submit" name="action" value="update" class="secondary">{{_('Save')}}</button>
      </form>
    </td>
    <td class="muted">{{ctx.when(u.last_login, '%Y-%m-%d %H:%M') if u.last_login else '-'}}</td>
    <td>
      % if u.locked_until and u.locked_until > now:
      <span class="state failed">{{_('locked')}}</span>
      % elif u.must_change_password:
      <span class="state queued">{{_('must change password')}}</span>
      % end
    </td>
    <td class="actions">
      <form method="post" action="/users/{{u.id}}"><input type="hidden" name="csrf" value="{{ctx.csrf}}"><button type="submit" name="action" value="reset" class="link">{{_('New password')}}</button></form>
      % if u.locked_until and u.locked_until > now:
      <form method="post" action="/users/{{u.id}}"><input type="hidden" name="csrf" value="{{ctx.csrf}}"><button type="submit" name="action" value="unlock" class="link">{{_('Unlock')}}</button></form>
      % end
    </td>
  </tr>
  % end
</table>
<form method="post" action="/users" class="card row" id="user-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <label>{{_('User name')}}<input name="username" required></label>
  <label>{{_('Role')}}<select name="role">
    % for r in roles:
    <option value="{{r}}">{{_(r)}}</option>
    % end
  </select></label>
  <button type="submit">{{_('Add user')}}</button>
</form>
<h2>{{_('Roles')}}</h2>
<table>
  % for r in roles:
  <tr><th>{{_(r)}}</th><td>{{', '.join(_(permission_labels[p]) for p in sorted(permissions[r]))}}</td></tr>
  % end
</table>
<h2>{{_('API tokens')}}</h2>
<table id="tokens">
  <tr><th>{{_('Name')}}</th><th>{{_('Role')}}</th><th>{{_('Created')}}</th><th>{{_('Last used')}}</th><th></th></tr>
  % for t in tokens:
  <tr><td>{{t['name']}}</td><td>{{_(t['role'])}}</td><td class="muted">{{ctx.when(t['created_at'], '%Y-%m-%d')}} {{t['created_by']}}</td>
      <td class="muted">{{ctx.when(t['last_used'], '%Y-%m-%d %H:%M') if t['last_used'] else '-'}}</td>
      <td>
      % if t['revoked']:
      <span class="state failed">{{_('revoked')}}</span>
      % else:
      <form method="post" action="/tokens/revoke" class="inline"><input type="hidden" name="csrf" value="{{ctx.csrf}}"><input type="hidden" name="name" value="{{t['name']}}"><button type="submit" class="link">{{_('Revoke')}}</button></form>
      % end
      </td></tr>
  % end
</table>
<form method="post" action="/tokens" class="card row">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <label>{{_('Name')}}<input name="name" required></label>
  <label>{{_('Role')}}<select name="role">
    % for r in roles:
    <option value="{{r}}" {{'selected' if r == 'operator' else ''}}>{{_(r)}}</option>
    % end
  </select></label>
  <button type="submit">{{_('Create token')}}</button>
</form>
