% rebase('layout')
% if ctx.user.must_change_password:
<p class="flash info">{{_('Please choose a new password before you go on.')}}</p>
% end
<form method="post" action="/password" class="card narrow">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  % if error:
  <p class="flash error">{{error}}</p>
  % end
  <label>{{_('Current password')}}<input name="old_password" id="old_password" type="password" autocomplete="current-password" required></label>
  <label>{{_('New password')}} <small>({{_('at least 10 characters')}})</small><input name="new_password" id="new_password" type="password" autocomplete="new-password" required minlength="10"></label>
  <label>{{_('New password again')}}<input name="new_password2" id="new_password2" type="password" autocomplete="new-password" required minlength="10"></label>
  <button type="submit" id="change">{{_('Change password')}}</button>
</form>
